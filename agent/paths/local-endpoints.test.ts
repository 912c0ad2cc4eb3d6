import { describe, expect, it } from "vitest";
import { localAddressesKey, localEndpoints, parseEndpoint } from "./local-endpoints.ts";

describe("local endpoints", () => {
  it("lists IPv4 interface addresses with the port, loopback last, skipping link-local and mesh", () => {
    const ifs = {
      lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
      eth0: [
        { address: "10.1.2.3", family: "IPv4", internal: false },
        { address: "fe80::1", family: "IPv6", internal: false },
        { address: "169.254.1.1", family: "IPv4", internal: false },
      ],
      tun: [{ address: "100.64.0.9", family: "IPv4", internal: false }],
      cgnat: [{ address: "100.127.255.1", family: "IPv4", internal: false }],
      edge: [{ address: "100.128.0.1", family: "IPv4", internal: false }],
    } as unknown as ReturnType<typeof import("node:os").networkInterfaces>;
    expect(localEndpoints(51820, ifs)).toEqual(["10.1.2.3:51820", "100.128.0.1:51820", "127.0.0.1:51820"]);
  });

  it("parses only well-formed IPv4 endpoints", () => {
    expect(parseEndpoint("10.0.0.1:51820")).toEqual({ host: "10.0.0.1", port: 51820 });
    for (const bad of ["10.0.0.1", "10.0.0.256:1", "10.0.0.1:0", "10.0.0.1:70000", "host:1", ""]) {
      expect(parseEndpoint(bad)).toBeNull();
    }
  });

  it("keys the address set so that only a real change changes the key", () => {
    type Ifs = ReturnType<typeof import("node:os").networkInterfaces>;
    const a = {
      lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
      eth0: [{ address: "10.1.0.2", family: "IPv4", internal: false }],
      eth1: [{ address: "10.9.0.2", family: "IPv4", internal: false }],
    } as unknown as Ifs;
    const reordered = { eth1: a.eth1, lo: a.lo, eth0: a.eth0 } as unknown as Ifs;
    const moved = {
      ...a,
      eth0: [{ address: "10.1.0.3", family: "IPv4", internal: false }],
    } as unknown as Ifs;
    expect(localAddressesKey(a)).toBe("eth0=10.1.0.2,eth1=10.9.0.2");
    expect(localAddressesKey(reordered)).toBe(localAddressesKey(a));
    expect(localAddressesKey(moved)).not.toBe(localAddressesKey(a));
  });
});
