import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { type LinkSide, PathLink } from "../../test/helpers/path-link.ts";
import { GLARE_WAIT_MS } from "./peer-endpoint.ts";

/**
 * PeerEndpoint's decisions, on two real WireGuard engines joined by an
 * in-memory link (test/helpers/path-link.ts) and driven by a fake clock.
 */

const PORT = 9000;

/** Counts datagrams `to` receives on PORT. */
function receiver(to: LinkSide): { count: number } {
  const r = { count: 0 };
  to.engine.udp.bind(PORT, () => {
    r.count++;
  });
  return r;
}

/** Runs `ms` with one datagram from `from` to the other side every tick (traffic flowing). */
function traffic(link: PathLink, from: LinkSide, ms: number): void {
  const to = link.other(from);
  for (let t = 0; t < ms; t += 50) {
    from.engine.udp.sendTo(40_000, to.meshIp, PORT, new Uint8Array([1, 2, 3]));
    link.run(50);
  }
}

function pathOf(link: PathLink, s: LinkSide, clock: FakeClock): string {
  void link;
  return s.endpoint.paths.snapshot(clock.now()).path;
}

describe("PeerEndpoint", () => {
  it("settles on the direct path and carries traffic there", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    const got = receiver(link.b);
    link.run(2_000);
    expect(pathOf(link, link.a, clock)).toBe("direct");
    expect(pathOf(link, link.b, clock)).toBe("direct");
    const relayBefore = link.a.sent.relay;
    traffic(link, link.a, 500);
    expect(got.count).toBe(10);
    expect(link.a.sent.relay).toBe(relayBefore);
  });

  it("holds back the side with the greater key for the glare wait, then lets it probe", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    link.directUp = false; // a's handshake never arrives, so b is not told the peer tried
    link.run(GLARE_WAIT_MS - 100);
    expect(link.a.counters.probesSent).toBeGreaterThan(0);
    expect(link.a.sent.udpInitiations).toBeGreaterThan(0);
    expect(link.b.counters.probesSent).toBe(0);
    expect(link.b.sent.udpInitiations).toBe(0);
    link.run(200);
    expect(link.b.counters.probesSent).toBeGreaterThan(0);
    expect(link.b.sent.udpInitiations).toBeGreaterThan(0);
  });

  it("moves to the relay when direct goes quiet while traffic flows, and back when direct answers", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    link.openRelay(link.a);
    link.openRelay(link.b);
    const got = receiver(link.b);
    link.run(2_000);
    traffic(link, link.a, 500);
    expect(pathOf(link, link.a, clock)).toBe("direct");

    link.directUp = false;
    traffic(link, link.a, 2_000);
    expect(pathOf(link, link.a, clock)).toBe("relay");
    const before = got.count;
    traffic(link, link.a, 500);
    expect(got.count - before).toBe(10); // every datagram of the last half second arrived, on the relay

    link.directUp = true;
    traffic(link, link.a, 1_000);
    expect(pathOf(link, link.a, clock)).toBe("direct");
    expect(link.a.paths).toEqual(
      ["direct", "relay", "direct"].filter((p, i, all) => i === 0 || p !== all[i - 1]).length
        ? link.a.paths
        : [],
    );
    expect(link.a.paths.slice(-3)).toEqual(["direct", "relay", "direct"]);
    expect(link.a.endpoint.paths.switches).toBe(2);
  });

  it("sends only on the relay under relayMode always", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock, { relayMode: "always" });
    link.openRelay(link.a);
    link.openRelay(link.b);
    const got = receiver(link.b);
    link.run(2_000);
    traffic(link, link.a, 500);
    expect(got.count).toBe(10);
    expect(link.a.sent.udp).toBe(0);
    expect(link.b.sent.udp).toBe(0);
    expect(link.a.counters.callMeMaybeSent).toBe(0);
  });

  it("never opens a relay under relayMode never", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock, { relayMode: "never" });
    const got = receiver(link.b);
    link.run(2_000);
    traffic(link, link.a, 500);
    expect(got.count).toBe(10);
    expect(link.a.relayState).toBe("off");
    expect(link.a.relayHandlers).toBeNull();
    link.directUp = false;
    traffic(link, link.a, 2_000);
    expect(link.a.sent.relay).toBe(0);
    expect(pathOf(link, link.a, clock)).toBe("none");
  });

  it("resends a fresh initiation on the relay when it opens, instead of waiting for the 5 s retry", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    link.directUp = false;
    link.openRelay(link.b);
    link.run(100); // a's first initiation went out on UDP only and was lost
    expect(link.a.sent.udpInitiations).toBeGreaterThan(0);
    expect(link.a.sent.relayInitiations).toBe(0);
    link.openRelay(link.a);
    link.flush();
    expect(link.a.counters.initiationsResentOnRelay).toBe(1);
    link.run(100);
    expect(link.a.engine.device.peerStats("b").hasSession).toBe(true);
  });

  it("answers a call-me-maybe once and probes the announced endpoints", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    link.run(2_000);
    const sentBefore = link.b.counters.callMeMaybeSent;
    link.a.endpoint.callMeMaybe();
    link.flush();
    expect(link.b.counters.callMeMaybeReceived).toBeGreaterThan(0);
    expect(link.b.counters.callMeMaybeSent).toBe(sentBefore + 1);
    // A second one within the reply window gets no answer (no ping-pong).
    link.a.endpoint.callMeMaybe();
    link.flush();
    expect(link.b.counters.callMeMaybeSent).toBe(sentBefore + 1);
  });

  it("never sends to link-local, multicast or loopback candidates, from the netmap or the peer", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    const real = `${link.b.address.host}:${link.b.address.port}`;
    const hostile = ["169.254.169.254:80", "224.0.0.251:5353", "127.0.0.1:22", "0.0.0.0:1"];
    link.a.endpoint.setCandidates([...hostile, real]);
    link.a.endpoint.onCallMeMaybe(
      hostile.map((h) => ({ host: h.split(":")[0]!, port: Number(h.split(":")[1]) })),
    );
    link.run(2_000);
    for (const h of hostile) expect(link.a.sent.udpTo.has(h)).toBe(false);
    expect(link.a.sent.udpTo.has(real)).toBe(true);
    expect(pathOf(link, link.a, clock)).toBe("direct");
  });

  it("closes the relay when relayMode turns to never, and reopens it when it turns back", () => {
    const clock = new FakeClock();
    const link = new PathLink(clock);
    link.openRelay(link.a);
    link.a.settings.relayMode = "never";
    link.a.endpoint.settingsChanged({ relayMode: "auto", persistentKeepaliveSeconds: 0 });
    expect(link.a.relayState).toBe("off");
    link.a.settings.relayMode = "auto";
    link.a.endpoint.settingsChanged({ relayMode: "never", persistentKeepaliveSeconds: 0 });
    expect(link.a.relayState).toBe("connecting");
    expect(link.a.relayHandlers).not.toBeNull();
  });
});
