import { describe, expect, it } from "vitest";
import type { Netmap, NetmapPeer } from "../../protocol/api.ts";
import { applyDelta } from "./netmap-delta.ts";

const peer = (cluster: string, endpoints: string[] = []): NetmapPeer => ({
  cluster,
  meshIp: "100.64.0.9",
  publicKey: "k",
  endpoints,
  online: true,
});

const held: Netmap = {
  self: { cluster: "hub", meshIp: "100.64.0.1", publicKey: "h" },
  policy: "hub",
  peers: [peer("a"), peer("c")],
  version: "v1",
};

describe("applyDelta", () => {
  it("adds, replaces and removes peers, keeps them ordered, and takes the new version", () => {
    const next = applyDelta(held, {
      type: "netmap-delta",
      base: "v1",
      version: "v2",
      upserts: [peer("b"), peer("c", ["192.0.2.1:1"])],
      removes: ["a"],
    });
    expect(next?.version).toBe("v2");
    expect(next?.peers).toEqual([peer("b"), peer("c", ["192.0.2.1:1"])]);
    expect(next?.self).toEqual(held.self);
  });

  it("refuses a delta against another version, or with nothing held", () => {
    const delta = { type: "netmap-delta" as const, base: "v0", version: "v2", upserts: [], removes: [] };
    expect(applyDelta(held, delta)).toBeNull();
    expect(applyDelta(null, { ...delta, base: "v1" })).toBeNull();
  });

  it("never lists itself as a peer", () => {
    const next = applyDelta(held, {
      type: "netmap-delta",
      base: "v1",
      version: "v2",
      upserts: [peer("hub")],
      removes: [],
    });
    expect(next?.peers.map((p) => p.cluster)).toEqual(["a", "c"]);
  });
});
