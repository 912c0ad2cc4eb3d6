import { describe, expect, it } from "vitest";
import { PeerPaths } from "./path-manager.ts";

const A = { host: "10.0.0.1", port: 51820 };
const B = { host: "192.0.2.9", port: 40000 };

describe("PeerPaths", () => {
  it("races every path until one is proven by an authenticated packet", () => {
    const p = new PeerPaths();
    p.setCandidates([A, B, A]);
    p.setRelayOpen(true);
    expect(p.choose(0)).toEqual({ kind: "race", endpoints: [A, B], relay: true });
    expect(p.dueProbes(0)).toEqual([
      { path: "direct", endpoint: A },
      { path: "direct", endpoint: B },
      { path: "relay" },
    ]);
    p.onAuthenticated("direct", B, 10);
    expect(p.choose(10)).toEqual({ kind: "direct", endpoint: B });
  });

  it("prefers proven direct over a proven relay", () => {
    const p = new PeerPaths();
    p.setCandidates([A]);
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    expect(p.choose(0)).toEqual({ kind: "relay" });
    p.onAuthenticated("direct", A, 5);
    expect(p.choose(5).kind).toBe("direct");
  });

  it("falls back to the relay when direct goes quiet while traffic flows, and comes back", () => {
    const p = new PeerPaths();
    p.setCandidates([A]);
    p.setRelayOpen(true);
    p.onAuthenticated("direct", A, 0);
    p.onAuthenticated("relay", null, 0);
    for (let t = 0; t <= 1000; t += 100) p.onSend(t);
    expect(p.choose(1000).kind).toBe("direct");
    p.onSend(1001);
    expect(p.choose(1001).kind).toBe("relay");
    expect(p.switches).toBe(1);
    // Direct is still probed, at the active rate, while on the relay.
    expect(p.dueProbes(1001)).toContainEqual({ path: "direct", endpoint: A });
    expect(p.dueProbes(1100)).toEqual([]);
    expect(p.dueProbes(1260)).toContainEqual({ path: "direct", endpoint: A });
    p.onProbeReply("direct", A, 1260, 1270);
    expect(p.choose(1270)).toEqual({ kind: "direct", endpoint: A });
    expect(p.switches).toBe(2);
    expect(p.snapshot(1270)).toEqual({ path: "direct", endpoint: "10.0.0.1:51820", rttMs: 10, switches: 2 });
  });

  it("does not drop direct just because traffic starts after a quiet spell", () => {
    const p = new PeerPaths();
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    p.onAuthenticated("direct", A, 0);
    p.onSend(4_000);
    expect(p.choose(4_000).kind).toBe("direct");
    p.onSend(4_900);
    expect(p.choose(4_900).kind).toBe("direct");
    p.onSend(5_001);
    expect(p.choose(5_001).kind).toBe("relay");
  });

  it("does not revive a direct path that expired while idle when traffic starts again", () => {
    const p = new PeerPaths();
    p.setCandidates([A]);
    p.setRelayOpen(true);
    p.onAuthenticated("direct", A, 0);
    // Direct went silent (UDP cut); the relay keeps answering.
    for (let t = 10_000; t <= 60_000; t += 10_000) p.onAuthenticated("relay", null, t);
    // A lone send after the pause (an ACK for a late retransmission) goes on the relay.
    p.onSend(60_000);
    expect(p.choose(60_000)).toEqual({ kind: "relay" });
    // A direct path that was alive when the pause ended still gets its window to prove itself.
    p.onAuthenticated("direct", A, 65_000);
    p.onSend(80_000);
    expect(p.choose(80_000).kind).toBe("direct");
  });

  it("keeps an idle direct path for a while without traffic, then expires it", () => {
    const p = new PeerPaths();
    p.onAuthenticated("direct", A, 0);
    expect(p.choose(20_000).kind).toBe("direct");
    expect(p.choose(30_001).kind).toBe("race");
  });

  it("probes slowly when idle and direct is fine; the standby relay backs off", () => {
    const p = new PeerPaths();
    p.setRelayOpen(true);
    p.onAuthenticated("direct", A, 0);
    expect(p.dueProbes(0)).toEqual([{ path: "direct", endpoint: A }, { path: "relay" }]);
    expect(p.probeIntervals(0)).toEqual({ directMs: 5_000, relayMs: 250 });
    const relayAt: number[] = [];
    for (let now = 50; now < 5_000; now += 50) {
      const due = p.dueProbes(now);
      expect(due.filter((x) => x.path === "direct")).toEqual([]);
      if (due.length > 0) relayAt.push(now);
    }
    expect(relayAt).toEqual([250, 750, 1_750, 3_750]);
    expect(p.dueProbes(5_000)).toEqual([{ path: "direct", endpoint: A }]);
  });

  it("does not treat a closed relay as a path", () => {
    const p = new PeerPaths();
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    p.setRelayOpen(false);
    expect(p.choose(1)).toEqual({ kind: "race", endpoints: [], relay: false });
    expect(p.snapshot(1).path).toBe("none");
  });

  it("smooths RTT samples", () => {
    const p = new PeerPaths();
    p.onProbeReply("relay", null, 0, 40);
    p.setRelayOpen(true);
    p.onProbeReply("relay", null, 100, 120);
    expect(p.snapshot(120)).toMatchObject({ path: "relay", rttMs: 35 });
  });

  it("tries announced endpoints first and probes them at once", () => {
    const p = new PeerPaths();
    const C = { host: "198.18.2.2", port: 41000 };
    p.setCandidates([A, B]);
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    expect(p.dueProbes(0).filter((x) => x.path === "direct")).toHaveLength(2);
    expect(p.dueProbes(100)).toEqual([]); // inside the 250 ms probe interval
    p.setAnnounced([C, A]);
    expect(p.dueProbes(110)).toEqual([
      { path: "direct", endpoint: C },
      { path: "direct", endpoint: A },
      { path: "direct", endpoint: B },
    ]);
    // A later netmap keeps the announced endpoints in front.
    p.setCandidates([B]);
    expect(p.choose(120)).toEqual({ kind: "relay" });
    p.probeNow();
    expect(p.dueProbes(130)).toEqual([
      { path: "direct", endpoint: C },
      { path: "direct", endpoint: A },
      { path: "direct", endpoint: B },
    ]);
  });

  it("forgets a proven direct endpoint when our network changes", () => {
    const p = new PeerPaths();
    p.setCandidates([A, B]);
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    p.onAuthenticated("direct", B, 0);
    expect(p.choose(10)).toEqual({ kind: "direct", endpoint: B });
    // The relay answered 10 ms ago: that counts as its probe while idle.
    expect(p.dueProbes(10)).toEqual([{ path: "direct", endpoint: B }]);
    p.networkChanged();
    expect(p.choose(20)).toEqual({ kind: "relay" });
    expect(p.dueProbes(20)).toEqual([
      { path: "direct", endpoint: A },
      { path: "direct", endpoint: B },
      { path: "relay" },
    ]);
  });
  it("stops trusting an idle direct endpoint when the peer starts a new session over the relay", () => {
    const p = new PeerPaths();
    p.setCandidates([A, B]);
    p.setRelayOpen(true);
    p.onAuthenticated("direct", B, 0);
    // Idle: direct stays "alive" for directIdleExpiryMs without traffic.
    expect(p.choose(20_000)).toEqual({ kind: "direct", endpoint: B });
    // The restarted peer's handshake arrives over the relay.
    p.onAuthenticated("relay", null, 20_000);
    p.peerReconnectedViaRelay();
    expect(p.choose(20_001)).toEqual({ kind: "relay" });
    // Direct is raced at once; the relay just carried the handshake, so it needs no probe yet.
    expect(p.dueProbes(20_001)).toEqual([
      { path: "direct", endpoint: A },
      { path: "direct", endpoint: B },
    ]);
    // The first authenticated direct reply brings direct back, on the new endpoint.
    p.onProbeReply("direct", A, 20_001, 20_010);
    expect(p.choose(20_011)).toEqual({ kind: "direct", endpoint: A });
  });

  it("backs off an idle relayed pair's probes to idleProbeMaxMs (240 s) and keeps the relay proven", () => {
    const p = new PeerPaths();
    p.setCandidates([A]);
    p.setRelayOpen(true);
    const relayProbesAt: number[] = [];
    let directProbes = 0;
    // Ten simulated minutes of 50 ms ticks; the peer answers every relay probe within the tick.
    for (let now = 0; now <= 600_000; now += 50) {
      for (const probe of p.dueProbes(now)) {
        if (probe.path === "relay") {
          relayProbesAt.push(now);
          p.onProbeReply("relay", null, now, now);
        } else directProbes++;
      }
      expect(p.choose(now).kind).toBe("relay");
    }
    const gaps = relayProbesAt.slice(1).map((t, i) => t - relayProbesAt[i]!);
    // Each gap is twice the one before (to the 50 ms tick) until the 120 s cap.
    expect(gaps).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 240_000]);
    expect(p.probeIntervals(600_000)).toEqual({ directMs: 240_000, relayMs: 240_000 });
    expect(directProbes).toBe(relayProbesAt.length);
  });

  it("probes fast again when traffic starts, on a network change, and on a new relay socket", () => {
    const p = new PeerPaths();
    p.setCandidates([A]);
    p.setRelayOpen(true);
    for (let now = 0; now <= 300_000; now += 50) {
      for (const probe of p.dueProbes(now))
        if (probe.path === "relay") p.onProbeReply("relay", null, now, now);
    }
    expect(p.probeIntervals(300_000)).toEqual({ directMs: 240_000, relayMs: 240_000 });
    // Traffic: both paths at the active rate at once.
    p.onSend(300_010);
    // Direct at the active rate; the relay, which the traffic itself proves, every 2 s.
    expect(p.probeIntervals(300_010)).toEqual({ directMs: 250, relayMs: 2_000 });
    expect(p.dueProbes(300_010)).toEqual([{ path: "direct", endpoint: A }, { path: "relay" }]);
    expect(p.choose(300_010)).toEqual({ kind: "relay" });
    // Idle again: the backoff starts over from 250 ms.
    expect(p.probeIntervals(303_000)).toEqual({ directMs: 250, relayMs: 250 });
    for (let now = 303_000; now <= 600_000; now += 50) {
      for (const probe of p.dueProbes(now))
        if (probe.path === "relay") p.onProbeReply("relay", null, now, now);
    }
    p.networkChanged();
    expect(p.dueProbes(600_000)).toEqual([{ path: "direct", endpoint: A }, { path: "relay" }]);
    expect(p.probeIntervals(600_000)).toEqual({ directMs: 250, relayMs: 250 });
    for (let now = 600_000; now <= 900_000; now += 50) {
      for (const probe of p.dueProbes(now))
        if (probe.path === "relay") p.onProbeReply("relay", null, now, now);
    }
    p.setRelayOpen(false);
    p.setRelayOpen(true);
    expect(p.dueProbes(900_000)).toEqual([{ path: "direct", endpoint: A }, { path: "relay" }]);
  });

  it("lets the peer's relay packets stand in for its own probes while idle", () => {
    const p = new PeerPaths();
    p.setRelayOpen(true);
    p.onAuthenticated("relay", null, 0);
    // The peer's probe arrives every 200 ms: ours is never due.
    for (let now = 0; now < 10_000; now += 200) {
      p.onAuthenticated("relay", null, now);
      expect(p.dueProbes(now + 100)).toEqual([]);
    }
  });
});
