import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../../test/net/tcp/sim-network.ts";
import {
  connectPair,
  decodeTcp,
  FULL_SEGMENT,
  IP_A,
  makePair,
  type Pair,
  Sink,
  sha256,
} from "../../../test/net/tcp/test-harness.ts";
import type { TcpConnection } from "./connection.ts";
import { seqAdd } from "./seq.ts";

const MSS = FULL_SEGMENT;

/** A connection with an RTT estimate (10 ms on the default 5 ms-each-way link) and a grown window. */
function warmedUp(pair: Pair): { client: TcpConnection; sink: Sink } {
  const { client, server } = connectPair(pair);
  const sink = new Sink(server, false);
  client.write(new Uint8Array(40 * MSS));
  pair.net.runUntil(() => sink.bytes === 40 * MSS, 10_000);
  return { client, sink };
}

describe("RACK-TLP loss recovery", () => {
  it("a lost tail is recovered by a tail loss probe, not the retransmission timer", () => {
    const pair = makePair();
    const { client, sink } = warmedUp(pair);
    expect(client.transport.srttMs).toBe(10);
    const base = client.sequence.sndNxt;
    const tail = [seqAdd(base, 8 * MSS), seqAdd(base, 9 * MSS)];
    const dropped = new Set<number>();
    let lastNewAt = 0;
    let firstResendAt: number | undefined;
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.payload.length === 0) return true;
      if (tail.includes(seg.seq) && !dropped.has(seg.seq)) {
        dropped.add(seg.seq);
        lastNewAt = now;
        return false;
      }
      if (dropped.has(seg.seq)) firstResendAt ??= now;
      return true;
    };
    const data = new SeededRandom(3).bytes(10 * MSS);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === 50 * MSS, 5_000);
    expect(sink.bytes).toBe(50 * MSS);
    expect(client.stats.timeouts).toBe(0);
    expect(client.stats.tailLossProbes).toBe(1);
    // The probe (the last segment again) left 2 SRTT after the last ACK (which came one RTT after
    // the tail left), long before the 200 ms RTO; its SACK then showed the other one lost.
    expect(firstResendAt! - lastNewAt).toBe(30);
    expect(client.stats.retransmittedSegments).toBe(2);
  });

  it("undoes the window cut when a D-SACK shows the only retransmission was needless", () => {
    const pair = makePair();
    const { client, sink } = warmedUp(pair);
    const cwndBefore = client.transport.cwnd;
    const held = seqAdd(client.sequence.sndNxt, 2 * MSS);
    let delayed = false;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      // Hold the third segment back 30 ms (three RTTs): RACK must call it lost, but it arrives.
      if (h.src === IP_A && seg.seq === held && !delayed) {
        delayed = true;
        pair.net.inject(p, 35);
        return false;
      }
      return true;
    };
    const data = new SeededRandom(4).bytes(8 * MSS);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === 48 * MSS, 5_000);
    pair.net.advance(100);
    expect(client.stats.rackLosses).toBe(1);
    expect(client.stats.retransmittedSegments).toBe(1);
    expect(client.stats.dsacksReceived).toBe(1);
    expect(client.stats.spuriousUndos).toBe(1);
    expect(client.transport.cwnd).toBeGreaterThanOrEqual(cwndBefore);
  });

  it("once reordering is seen, the reordering window keeps the same delay from causing retransmissions", () => {
    const pair = makePair();
    const { client, sink } = warmedUp(pair);
    // Every 10th data segment is held back 4 ms: later ones overtake it by less than an RTT.
    let n = 0;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.payload.length === 0) return true;
      if (++n % 10 === 0) {
        pair.net.inject(p, 9);
        return false;
      }
      return true;
    };
    const data = new SeededRandom(5).bytes(400 * MSS);
    let offset = 0;
    const pump = () => {
      while (offset < data.length) {
        const k = client.write(data.subarray(offset));
        if (k === 0) return;
        offset += k;
      }
    };
    client.onWritable = pump;
    pump();
    pair.net.runUntil(() => sink.bytes === 440 * MSS, 20_000);
    expect(sink.bytes).toBe(440 * MSS);
    expect(client.stats.timeouts).toBe(0);
    // At most the first reordered segments are resent before the window has learnt the delay;
    // about 40 were reordered.
    expect(client.stats.retransmittedSegments).toBeLessThanOrEqual(2);
    expect(client.stats.spuriousUndos).toBe(client.stats.fastRetransmits);
  });

  it("after a timeout, a resent segment lost again is resent on RACK's word, not at the next (doubled) timeout", () => {
    // 50 ms each way: the resent flight takes several round trips to go out again from cwnd = 1.
    const pair = makePair({ profile: { delayMs: 50 } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    client.write(new Uint8Array(40 * MSS));
    pair.net.runUntil(() => sink.bytes === 40 * MSS, 10_000);
    const base = client.sequence.sndNxt;
    const segments = 120;
    const second = seqAdd(base, MSS);
    const last = seqAdd(base, (segments - 1) * MSS);
    const sends: number[] = [];
    let secondResentLostAt: number | undefined;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.payload.length === 0) return true;
      sends.push(seg.seq);
      // A black hole until the retransmission timer fires (tail loss probes included) ...
      if (client.stats.timeouts === 0) return false;
      // ... then the first resend of the second segment is lost too.
      if (seg.seq === second && secondResentLostAt === undefined) {
        secondResentLostAt = sends.length - 1;
        return false;
      }
      return true;
    };
    const data = new SeededRandom(12).bytes(segments * MSS);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === (40 + segments) * MSS, 60_000);
    expect(sink.bytes).toBe((40 + segments) * MSS);
    expect(client.stats.timeouts).toBe(1);
    // The second segment went out a third time before the resend pass reached the last one.
    const thirdSecond = sends.indexOf(second, secondResentLostAt! + 1);
    const lastAfterTimeout = sends.indexOf(last, secondResentLostAt!);
    expect(thirdSecond).toBeGreaterThan(secondResentLostAt!);
    expect(thirdSecond).toBeLessThan(lastAfterTimeout);
    // New data acknowledged after the episode times the round trip again: the RTO is no longer backed off.
    client.write(new Uint8Array(10 * MSS));
    pair.net.runUntil(() => client.bufferedAmount === 0, 10_000);
    expect(client.transport.rtoMs).toBeLessThan(400);
  });

  it("carries data byte-exact through 5% loss with 75% of segments delayed 5 ms (reordering)", () => {
    const pair = makePair({
      seed: 9,
      profile: { loss: 0.05, reorder: 0.75, reorderDelayMs: 5, delayMs: 1, jitterMs: 0 },
    });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    const data = new SeededRandom(9).bytes(512 * 1024);
    let offset = 0;
    const pump = () => {
      while (offset < data.length) {
        const k = client.write(data.subarray(offset));
        if (k === 0) return;
        offset += k;
      }
      client.end();
    };
    client.onWritable = pump;
    pump();
    expect(pair.net.runUntil(() => sink.ended, 120_000)).toBe(true);
    expect(sink.digest()).toBe(sha256(data));
    expect(client.stats.rackLosses).toBeGreaterThan(0);
  });
});
