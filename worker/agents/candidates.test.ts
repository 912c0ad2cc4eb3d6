import { describe, expect, it } from "vitest";
import { acceptableCandidates, candidateScope, ipv6Groups, isLoopbackSource } from "./candidates.ts";

describe("candidateScope", () => {
  it.each([
    ["169.254.169.254:80", "refused"],
    ["169.254.1.1:51820", "refused"],
    ["[fe80::1]:51820", "refused"],
    ["[fe80::1%eth0]:51820", "refused"],
    ["[febf::1]:51820", "refused"],
    ["224.0.0.1:51820", "refused"],
    ["239.1.2.3:51820", "refused"],
    ["[ff02::1]:51820", "refused"],
    ["0.0.0.0:51820", "refused"],
    ["0.1.2.3:51820", "refused"],
    ["[::]:51820", "refused"],
    ["255.255.255.255:51820", "refused"],
    ["240.0.0.1:51820", "refused"],
    ["[::ffff:169.254.169.254]:80", "refused"],
    ["[::ffff:a9fe:a9fe]:80", "refused"],
    ["[fd00:ec2::254]:80", "refused"],
    ["localhost:51820", "refused"],
    ["metadata.google.internal:80", "refused"],
    ["example.com:51820", "refused"],
    ["127.0.0.1:51820", "loopback"],
    ["127.8.9.1:51820", "loopback"],
    ["[::1]:51820", "loopback"],
    ["[::ffff:127.0.0.1]:51820", "loopback"],
    ["192.0.2.5:51820", "public"],
    ["10.0.0.5:51820", "public"],
    ["[2001:db8::1]:51820", "public"],
    ["[fd00::1]:51820", "public"],
    ["[fec0::1]:51820", "public"],
    ["[::ffff:192.0.2.1]:51820", "public"],
  ])("%s is %s", (endpoint, scope) => {
    expect(candidateScope(endpoint)).toBe(scope);
  });
});

describe("ipv6Groups", () => {
  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["2001:db8::1", [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]],
    ["1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]],
    ["::ffff:1.2.3.4", [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]],
    ["fe80::1%eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
  ])("%s", (text, groups) => {
    expect(ipv6Groups(text)).toEqual(groups);
  });

  it.each(["1:2:3", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::1.2.3", "g::1", "1:2:3:4:5:6:7::8"])(
    "refuses %s",
    (text) => {
      expect(ipv6Groups(text)).toBeNull();
    },
  );
});

describe("acceptableCandidates", () => {
  const mixed = ["127.0.0.1:1", "169.254.169.254:80", "192.0.2.1:2", "[::1]:3"];
  it("keeps loopback only for an agent that connects from loopback", () => {
    expect(acceptableCandidates(mixed, "198.51.100.1")).toEqual(["192.0.2.1:2"]);
    expect(acceptableCandidates(mixed, undefined)).toEqual(["192.0.2.1:2"]);
    expect(acceptableCandidates(mixed, "127.0.0.1")).toEqual(["127.0.0.1:1", "192.0.2.1:2", "[::1]:3"]);
    expect(acceptableCandidates(mixed, "::1")).toEqual(["127.0.0.1:1", "192.0.2.1:2", "[::1]:3"]);
  });

  it("judges the source strictly", () => {
    expect(isLoopbackSource("127.0.0.1 ")).toBe(true);
    expect(isLoopbackSource("127.0.0.1, 1.2.3.4")).toBe(false);
    expect(isLoopbackSource("localhost")).toBe(false);
  });
});
