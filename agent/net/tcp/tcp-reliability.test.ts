import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../../test/net/tcp/sim-network.ts";
import {
  connectPair,
  decodeTcp,
  FULL_SEGMENT,
  IP_A,
  IP_B,
  makePair,
  Pump,
  Sink,
  sha256,
} from "../../../test/net/tcp/test-harness.ts";
import { TCP_ACK } from "./segment.ts";
import { seqAdd } from "./seq.ts";

const MiB = 1 << 20;

describe("byte-exact delivery over a faulty link", () => {
  const cases = [
    { loss: 0.05, seed: 11, size: 4 * MiB },
    { loss: 0.1, seed: 12, size: 3 * MiB },
    { loss: 0.2, seed: 13, size: 2 * MiB },
  ];
  for (const c of cases) {
    it(`delivers ${c.size / MiB} MiB each way under ${c.loss * 100}% loss with reordering and duplication`, () => {
      const pair = makePair({
        seed: c.seed,
        profile: { loss: c.loss, duplicate: 0.02, reorder: 0.03, reorderDelayMs: 4, delayMs: 5, jitterMs: 2 },
      });
      const { client, server } = connectPair(pair);
      const rng = new SeededRandom(c.seed);
      const up = rng.bytes(c.size);
      const down = rng.bytes(c.size);
      const atServer = new Sink(server, false);
      const atClient = new Sink(client, false);
      new Pump(client, up);
      new Pump(server, down);
      const ok = pair.net.runUntil(() => atServer.ended && atClient.ended, 24 * 3600_000);
      expect(ok).toBe(true);
      expect(atServer.bytes).toBe(c.size);
      expect(atClient.bytes).toBe(c.size);
      expect(atServer.digest()).toBe(sha256(up));
      expect(atClient.digest()).toBe(sha256(down));
      expect(pair.net.stats.lost).toBeGreaterThan(0);
      expect(client.stats.retransmittedSegments).toBeGreaterThan(0);
      pair.net.runUntil(() => client.isClosed() && server.isClosed(), 24 * 3600_000);
      expect(pair.a.connectionCount + pair.b.connectionCount).toBe(0);
    });
  }

  it("delivers through heavy reordering and duplication with no loss", () => {
    const pair = makePair({
      seed: 5,
      profile: { loss: 0, duplicate: 0.1, reorder: 0.2, reorderDelayMs: 3, delayMs: 5, jitterMs: 1 },
    });
    const { client, server } = connectPair(pair);
    const data = new SeededRandom(5).bytes(2 * MiB);
    const sink = new Sink(server, false);
    new Pump(client, data);
    pair.net.runUntil(() => sink.ended, 3600_000);
    expect(sink.digest()).toBe(sha256(data));
    expect(server.stats.outOfOrderSegments).toBeGreaterThan(0);
    expect(pair.net.stats.duplicated).toBeGreaterThan(0);
  });
});

describe("retransmission timer", () => {
  it("doubles the RTO on each expiry up to the maximum", () => {
    const pair = makePair({ configA: { maxRtoMs: 2000, maxRetransmits: 8 } });
    const { client } = connectPair(pair);
    const sends: number[] = [];
    pair.net.tap = (p, h, now) => {
      if (h.src === IP_A && decodeTcp(p).seg.payload.length > 0) sends.push(now);
      return false;
    };
    const start = pair.net.now;
    client.write(new Uint8Array([1, 2, 3]));
    const sink = new Sink(client);
    pair.net.runUntil(() => sink.closed !== undefined, 600_000);
    const gaps = sends.map((t, i) => Math.round(t - (i === 0 ? start : sends[i - 1]!)));
    // First send immediately, then 200, 400, 800, 1600 and the 2000 ms cap.
    expect(gaps).toEqual([0, 200, 400, 800, 1600, 2000, 2000, 2000, 2000]);
    expect(sink.closed).toBe("timeout");
  });

  it("follows Karn's rule: no RTT sample from a retransmitted segment", () => {
    // 10 ms each way: the true RTT is 20 ms.
    const pair = makePair({ profile: { delayMs: 10 } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    expect(client.transport.srttMs).toBe(20);
    let dropped = false;
    pair.net.tap = (p, h) => {
      if (h.src === IP_A && decodeTcp(p).seg.payload.length > 0 && !dropped) {
        dropped = true;
        return false;
      }
      return true;
    };
    client.write(new Uint8Array(100));
    pair.net.runUntil(() => sink.bytes === 100, 10_000);
    expect(client.stats.timeouts).toBe(1);
    // Timing the first transmission would have sampled about 220 ms.
    expect(client.transport.srttMs).toBe(20);
    // The backed-off RTO survives until a fresh, unambiguous sample.
    expect(client.transport.rtoMs).toBe(400);
    client.write(new Uint8Array(100));
    pair.net.runUntil(() => client.bufferedAmount === 0, 10_000);
    // A fresh segment is timed: 20 ms of path plus the peer's 40 ms delayed ACK.
    expect(client.transport.srttMs).toBe(0.875 * 20 + 0.125 * 60);
    expect(client.transport.rtoMs).toBe(200);
  });
});

describe("fast retransmit and NewReno", () => {
  function lossyWindow(dropIndexes: number[]) {
    const pair = makePair({ profile: { delayMs: 10 } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    const firstSend = new Map<number, number>();
    const retransmitAt = new Map<number, number>();
    let dataIndex = 0;
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.payload.length === 0) return true;
      if (firstSend.has(seg.seq)) {
        retransmitAt.set(seg.seq, now);
        return true;
      }
      firstSend.set(seg.seq, now);
      return !dropIndexes.includes(dataIndex++);
    };
    const data = new SeededRandom(9).bytes(20 * FULL_SEGMENT);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === data.length, 60_000);
    return { client, sink, data, firstSend, retransmitAt };
  }

  it("retransmits after three duplicate ACKs, well before the RTO", () => {
    const { client, sink, data, firstSend, retransmitAt } = lossyWindow([2]);
    expect(sink.digest()).toBe(sha256(data));
    expect(client.stats.fastRetransmits).toBe(1);
    expect(client.stats.timeouts).toBe(0);
    expect(client.stats.dupAcksReceived).toBeGreaterThanOrEqual(3);
    expect(retransmitAt.size).toBe(1);
    const [seq, at] = [...retransmitAt][0]!;
    // One RTT after the loss, not 200 ms.
    expect(at - firstSend.get(seq)!).toBeLessThan(client.transport.rtoMs);
    // Recovery halves the window: ssthresh = flight / 2.
    expect(client.transport.ssthresh).toBeLessThan(20 * FULL_SEGMENT);
  });

  it("repairs a second hole in the same window from a partial ACK without a timeout", () => {
    const { client, sink, data, retransmitAt } = lossyWindow([2, 5]);
    expect(sink.digest()).toBe(sha256(data));
    expect(client.stats.fastRetransmits).toBe(1);
    expect(client.stats.timeouts).toBe(0);
    expect(retransmitAt.size).toBe(2);
  });

  it("uses limited transmit so a three-segment window still fast-retransmits", () => {
    const pair = makePair({ configA: { initialCwndSegments: 3 } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    let first = true;
    pair.net.tap = (p, h) => {
      if (h.src === IP_A && decodeTcp(p).seg.payload.length > 0 && first) {
        first = false;
        return false;
      }
      return true;
    };
    const data = new SeededRandom(8).bytes(10 * FULL_SEGMENT);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === data.length, 60_000);
    expect(sink.digest()).toBe(sha256(data));
    // Two segments survive the loss; only the two extra ones limited transmit lets out make a third duplicate.
    expect(client.stats.fastRetransmits).toBe(1);
    expect(client.stats.timeouts).toBe(0);
  });

  it("acknowledges out-of-order data at once with a duplicate ACK", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    new Sink(server);
    const acks: { t: number; ack: number }[] = [];
    let n = 0;
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_B && seg.flags === TCP_ACK) acks.push({ t: now, ack: seg.ack });
      return !(h.src === IP_A && seg.payload.length > 0 && n++ === 0);
    };
    const una = client.sequence.sndUna;
    const start = pair.net.now;
    client.write(new Uint8Array(FULL_SEGMENT * 2));
    pair.net.advance(5);
    // The second segment arrived alone: it is answered immediately, acknowledging the hole's start.
    expect(acks).toEqual([{ t: start + 5, ack: una }]);
    pair.net.runUntil(() => server.sequence.rcvNxt === seqAdd(una, 2 * FULL_SEGMENT), 10_000);
  });
});
