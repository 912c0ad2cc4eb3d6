import { describe, expect, it } from "vitest";
import { parseListenAllowList, valuesMayListenOn } from "./listen-policy.ts";

describe("valuesMayListenOn", () => {
  it("allows loopback and nothing else by default", () => {
    expect(valuesMayListenOn("127.0.0.1", [])).toBe(true);
    expect(valuesMayListenOn("127.9.9.9", [])).toBe(true);
    expect(valuesMayListenOn("0.0.0.0", [])).toBe(false);
    expect(valuesMayListenOn("10.1.2.3", [])).toBe(false);
    expect(valuesMayListenOn("not-an-ip", [])).toBe(false);
  });

  it("allows addresses inside the operator's CIDRs", () => {
    const allowed = parseListenAllowList("10.0.0.0/8, 192.168.1.7");
    expect(valuesMayListenOn("10.1.2.3", allowed)).toBe(true);
    expect(valuesMayListenOn("192.168.1.7", allowed)).toBe(true);
    expect(valuesMayListenOn("192.168.1.8", allowed)).toBe(false);
  });

  it("allows the 0.0.0.0 wildcard only with 0.0.0.0/0", () => {
    expect(valuesMayListenOn("0.0.0.0", parseListenAllowList("10.0.0.0/8"))).toBe(false);
    expect(valuesMayListenOn("0.0.0.0", parseListenAllowList("0.0.0.0/0"))).toBe(true);
  });
});

describe("parseListenAllowList", () => {
  it("names a bad entry", () => {
    expect(() => parseListenAllowList("10.0.0.0/8,example.com")).toThrow(
      '--allow-forward-listen takes IPv4 CIDRs such as 10.0.0.0/8 or 0.0.0.0/0, got "example.com"',
    );
    expect(() => parseListenAllowList("10.0.0.0/33")).toThrow(/got "10.0.0.0\/33"/);
  });
});
