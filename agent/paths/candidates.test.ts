import { describe, expect, it } from "vitest";
import { mayUseCandidate, usableCandidates } from "./candidates.ts";

const ep = (host: string, port = 51820) => ({ host, port });

describe("direct candidates the agent will send to", () => {
  it.each([
    ["169.254.169.254", "the cloud metadata address (link-local)"],
    ["169.254.1.1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "this-network"],
    ["224.0.0.251", "multicast (mDNS)"],
    ["239.255.255.250", "multicast (SSDP)"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
  ])("refuses %s (%s), whatever this agent offers", (host) => {
    expect(mayUseCandidate(ep(host), ["203.0.113.5:51820"])).toBe(false);
    expect(mayUseCandidate(ep(host), ["127.0.0.1:51820"])).toBe(false);
  });

  it("refuses loopback unless this agent offers loopback itself (all agents on one host)", () => {
    expect(mayUseCandidate(ep("127.0.0.1"), ["10.0.0.5:51820", "203.0.113.5:4000"])).toBe(false);
    expect(mayUseCandidate(ep("127.0.0.1"), [])).toBe(false);
    expect(mayUseCandidate(ep("127.0.0.1"), ["127.0.0.1:51820"])).toBe(true);
  });

  it("keeps public and private addresses, in order, and drops what does not parse", () => {
    expect(
      usableCandidates(
        [
          "198.51.100.7:41641",
          "169.254.169.254:80",
          "10.1.2.3:51820",
          "not-an-endpoint",
          "192.168.1.9:70000",
        ],
        ["203.0.113.5:51820"],
      ),
    ).toEqual([ep("198.51.100.7", 41641), ep("10.1.2.3")]);
  });
});
