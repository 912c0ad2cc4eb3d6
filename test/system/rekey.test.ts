/**
 * Rekeying against wireguard-go: keys are renewed after 120 s (REKEY_AFTER_TIME)
 * while traffic flows, and the switch to the new session loses (almost) nothing.
 * Takes about two and a half minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../helpers/netns.ts";
import { buildTopology, pingFromWg, type Topology } from "../helpers/topology.ts";

describe("rekey across 120 s against wireguard-go", () => {
  let t: Topology;
  beforeAll(async () => {
    t = await buildTopology({ wgKnowsEndpoint: true, tsKnowsEndpoint: true });
  });
  afterAll(async () => t?.teardown());

  it("keeps a ping flowing for 130 s through a second handshake", async () => {
    await t.ts.request({ cmd: "handshake" }, "ok");
    await t.ts.waitFor((o) => o.event === "handshake-complete", "first handshake", 20_000);
    const first = await pollUntil(
      "wireguard-go handshake",
      async () => (await t.wgLatestHandshake()) || false,
    );

    const COUNT = 650; // 130 s at 5 per second
    const received = await pingFromWg(t, COUNT, 0.2);

    const handshakes = t.ts.received.filter((o) => o.event === "handshake-complete");
    const latestSeen = await t.wgLatestHandshake();
    console.log(
      `rekey: ${received}/${COUNT} echo replies; TS handshakes: ${handshakes.map((h) => h.role).join(", ")}; ` +
        `wireguard-go handshake moved ${latestSeen - first} s`,
    );
    expect(handshakes.length).toBeGreaterThanOrEqual(2);
    expect(latestSeen).toBeGreaterThan(first);
    expect(received).toBeGreaterThanOrEqual(COUNT - 2);
  });
});
