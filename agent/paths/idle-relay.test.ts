import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { type LinkSide, PathLink } from "../../test/helpers/path-link.ts";
import { DEFAULT_PATH_TIMINGS } from "./path-manager.ts";

/**
 * An idle relayed pair, on two real WireGuard engines (test/helpers/path-link.ts)
 * with direct UDP cut and a fake clock: what reaches the relay object over ten
 * simulated minutes. Every datagram on the relay is at most one WebSocket
 * message into the object (the relay client batches, never splits), so the
 * datagram count bounds the object's message count from above.
 */

const PORT = 9000;
const TEN_MINUTES = 600_000;

function relayedPair(): { clock: FakeClock; link: PathLink } {
  const clock = new FakeClock();
  // The agent's default persistent keepalive (20 s), which the relay path must not pay for.
  const link = new PathLink(clock, { keepalive: 20 });
  link.directUp = false;
  link.openRelay(link.a);
  link.openRelay(link.b);
  return { clock, link };
}

function relayDatagrams(link: PathLink): number {
  return link.a.sent.relay + link.b.sent.relay;
}

function traffic(link: PathLink, from: LinkSide, ms: number): void {
  const to = link.other(from);
  for (let t = 0; t < ms; t += 50) {
    from.engine.udp.sendTo(40_000, to.meshIp, PORT, new Uint8Array([1, 2, 3]));
    link.run(50);
  }
}

describe("an idle relayed pair", () => {
  it("sends at most 0.1 messages/s into the relay object over ten minutes, and stays on the relay", () => {
    const { clock, link } = relayedPair();
    let received = 0;
    link.b.engine.udp.bind(PORT, () => {
      received++;
    });
    traffic(link, link.a, 2_000);
    expect(received).toBe(40);
    expect(link.a.endpoint.paths.snapshot(clock.now()).path).toBe("relay");

    const before = relayDatagrams(link);
    const probesBefore = link.a.counters.probesSent + link.b.counters.probesSent;
    link.run(TEN_MINUTES);
    const messages = relayDatagrams(link) - before;
    const perSecond = messages / (TEN_MINUTES / 1000);
    // Before the backoff this pair sent 16 messages a second (4 relay probes and 4 pongs per side).
    expect(perSecond).toBeLessThanOrEqual(0.1);
    // Still alive: the relay is probed now and then, and both sides still call it their path.
    expect(link.a.counters.probesSent + link.b.counters.probesSent - probesBefore).toBeGreaterThan(4);
    expect(link.a.endpoint.paths.snapshot(clock.now()).path).toBe("relay");
    expect(link.b.endpoint.paths.snapshot(clock.now()).path).toBe("relay");
    expect(link.a.endpoint.paths.probeIntervals(clock.now()).relayMs).toBe(
      DEFAULT_PATH_TIMINGS.idleProbeMaxMs,
    );
    console.log(
      `idle relayed pair, 10 simulated minutes: ${messages} relay datagrams, ${perSecond.toFixed(3)}/s`,
    );

    // Traffic after the long quiet spell gets through at once, and probing is fast again.
    const probesIdle = link.a.counters.probesSent;
    traffic(link, link.a, 1_000);
    expect(received).toBe(60);
    expect(link.a.counters.probesSent - probesIdle).toBeGreaterThanOrEqual(3);
    expect(link.a.endpoint.paths.probeIntervals(clock.now())).toEqual({ directMs: 250, relayMs: 2_000 });
  });

  it("probes fast again after a network change", () => {
    const { clock, link } = relayedPair();
    traffic(link, link.a, 1_000);
    link.run(300_000);
    const before = link.a.counters.probesSent;
    link.a.endpoint.networkChanged();
    link.run(2_000);
    // 250 ms doubling: probes at about 0, 0.25, 0.75 and 1.75 s on each path.
    expect(link.a.counters.probesSent - before).toBeGreaterThanOrEqual(6);
    expect(link.a.endpoint.paths.snapshot(clock.now()).path).toBe("relay");
  });
});
