import { describe, expect, it } from "vitest";
import { AllowedIps, parseCidr } from "./allowed-ips.ts";
import { formatIpv4, parseIpv4 } from "./ipv4.ts";

const ip = (s: string) => parseIpv4(s)!;

describe("AllowedIps", () => {
  it("picks the longest matching prefix", () => {
    const t = new AllowedIps();
    t.set("default", ["0.0.0.0/0"]);
    t.set("mesh", ["100.64.0.0/10"]);
    t.set("one", ["100.64.0.2/32"]);
    expect(t.lookup(ip("100.64.0.2"))).toBe("one");
    expect(t.lookup(ip("100.64.0.3"))).toBe("mesh");
    expect(t.lookup(ip("8.8.8.8"))).toBe("default");
  });

  it("moves a CIDR claimed by another peer, replaces on set, forgets on remove", () => {
    const t = new AllowedIps();
    t.set("a", ["10.0.0.0/24", "10.1.0.0/16"]);
    t.set("b", ["10.0.0.0/24"]);
    expect(t.lookup(ip("10.0.0.9"))).toBe("b");
    expect(t.lookup(ip("10.1.2.3"))).toBe("a");
    t.set("a", ["192.168.1.1/32"]);
    expect(t.lookup(ip("10.1.2.3"))).toBeUndefined();
    t.remove("b");
    expect(t.lookup(ip("10.0.0.9"))).toBeUndefined();
    expect(t.cidrsOf("a")).toEqual([{ network: ip("192.168.1.1"), prefix: 32 }]);
  });

  it("normalises host bits and rejects malformed CIDRs without changing the table", () => {
    expect(parseCidr("10.1.2.3/8")).toEqual({ network: ip("10.0.0.0"), prefix: 8 });
    const t = new AllowedIps();
    t.set("a", ["10.0.0.1/32"]);
    for (const bad of [
      "10.0.0.1",
      "10.0.0.1/33",
      "10.0.0/8",
      "256.0.0.0/8",
      "a.b.c.d/8",
      "01.0.0.0/8",
      "::/0",
    ])
      expect(() => t.set("a", [bad])).toThrow(/invalid IPv4 CIDR/);
    expect(t.lookup(ip("10.0.0.1"))).toBe("a");
  });

  it("formats and parses addresses", () => {
    expect(formatIpv4(ip("100.64.0.255"))).toBe("100.64.0.255");
    expect(parseIpv4("1.2.3")).toBeNull();
  });
});
