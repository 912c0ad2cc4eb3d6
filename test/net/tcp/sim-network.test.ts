import { describe, expect, it } from "vitest";
import { encodeTcpPacket, TCP_SYN } from "../../../agent/net/tcp/segment.ts";
import { SeededRandom, SimNetwork } from "./sim-network.ts";

describe("SeededRandom", () => {
  it("replays the same stream for the same seed", () => {
    const a = new SeededRandom(99);
    const b = new SeededRandom(99);
    expect([...a.bytes(37)]).toEqual([...b.bytes(37)]);
    expect(new SeededRandom(1).next()).not.toBe(new SeededRandom(2).next());
    const x = new SeededRandom(3).next();
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1);
  });
});

describe("SimNetwork", () => {
  const packet = encodeTcpPacket(
    { srcIp: 1, dstIp: 2, srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0 },
    null,
    0,
    0,
  );

  function node() {
    const seen: number[] = [];
    return {
      seen,
      input: (_h: unknown, _p: Uint8Array, now: number) => seen.push(now),
      tick: () => {},
      nextDeadline: Number.POSITIVE_INFINITY,
    };
  }

  it("delivers after the link delay and advances the clock to each event", () => {
    const net = new SimNetwork(1, {
      loss: 0,
      duplicate: 0,
      reorder: 0,
      delayMs: 7,
      jitterMs: 0,
      reorderDelayMs: 0,
    });
    const n = node();
    net.attach(2, n);
    net.send(packet);
    net.advance(20);
    expect(n.seen).toEqual([7]);
    expect(net.now).toBe(20);
  });

  it("loses and duplicates packets at the configured rates, reproducibly", () => {
    const run = () => {
      const net = new SimNetwork(5, {
        loss: 0.3,
        duplicate: 0.2,
        reorder: 0,
        delayMs: 1,
        jitterMs: 0,
        reorderDelayMs: 0,
      });
      const n = node();
      net.attach(2, n);
      for (let i = 0; i < 1000; i++) net.send(packet);
      net.advance(10);
      return { delivered: n.seen.length, stats: { ...net.stats } };
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.stats.lost).toBeGreaterThan(250);
    expect(first.stats.lost).toBeLessThan(350);
    expect(first.delivered).toBe(1000 - first.stats.lost + first.stats.duplicated);
  });

  it("fails loudly instead of spinning on a timer that never clears", () => {
    const net = new SimNetwork(1);
    net.attach(3, { input: () => {}, tick: () => {}, nextDeadline: 0 });
    expect(() => net.runUntil(() => false, 1000, 50)).toThrow("did not settle");
  });
});
