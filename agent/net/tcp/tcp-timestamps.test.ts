import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../../test/net/tcp/sim-network.ts";
import {
  connectPair,
  decodeTcp,
  FULL_SEGMENT,
  IP_A,
  IP_B,
  makePair,
  type Pair,
  Pump,
  Sink,
  sha256,
} from "../../../test/net/tcp/test-harness.ts";
import type { TcpConnection } from "./connection.ts";
import { TCP_ACK, TCP_SYN, type TcpSegment } from "./segment.ts";
import { seqAdd } from "./seq.ts";

const MSS = FULL_SEGMENT;

/** Every segment that crosses the link, in order, with the side that sent it. */
function record(pair: Pair): { from: number; seg: TcpSegment }[] {
  const log: { from: number; seg: TcpSegment }[] = [];
  pair.net.tap = (p, h) => {
    log.push({ from: h.src, seg: decodeTcp(p).seg });
    return true;
  };
  return log;
}

/** A connection with an RTT estimate (10 ms on the default 5 ms-each-way link) and a grown window. */
function warmedUp(pair: Pair): { client: TcpConnection; sink: Sink } {
  const { client, server } = connectPair(pair);
  const sink = new Sink(server, false);
  client.write(new Uint8Array(40 * MSS));
  pair.net.runUntil(() => sink.bytes === 40 * MSS, 10_000);
  return { client, sink };
}

describe("TCP timestamps (RFC 7323)", () => {
  it("are negotiated in the handshake, echoed on every segment, and take 12 bytes of each", () => {
    const pair = makePair();
    const log = record(pair);
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    client.write(new Uint8Array(3 * MSS).fill(1));
    pair.net.runUntil(() => sink.bytes === 3 * MSS, 10_000);
    const [syn, synAck, ack] = log;
    expect(syn!.seg.flags).toBe(TCP_SYN);
    expect(syn!.seg.tsVal).toBeDefined();
    expect(syn!.seg.tsEcr).toBe(0);
    expect(synAck!.seg.flags).toBe(TCP_SYN | TCP_ACK);
    expect(synAck!.seg.tsEcr).toBe(syn!.seg.tsVal);
    expect(ack!.seg.tsEcr).toBe(synAck!.seg.tsVal);
    for (const { seg } of log) expect(seg.tsVal).toBeDefined();
    expect(Math.max(...log.map((e) => e.seg.payload.length))).toBe(1368);
    expect(client.transport.timestamps).toBe(true);
    expect(server.transport.timestamps).toBe(true);
    // Each end's ACK echoes the data segment it answers: the clock runs in milliseconds.
    const data = log.filter((e) => e.from === IP_A && e.seg.payload.length > 0);
    const acks = log.filter((e) => e.from === IP_B && e.seg.flags === TCP_ACK);
    expect(acks.at(-1)!.seg.tsEcr).toBe(data[2]!.seg.tsVal);
    // 5 ms each way, no delayed ACK (every second segment, then the third after 40 ms at most).
    expect(data[1]!.seg.tsVal! - syn!.seg.tsVal!).toBeGreaterThanOrEqual(10);
  });

  it("stay off when the peer does not offer them: no option on any segment, the full MSS", () => {
    const pair = makePair({ configB: { timestamps: false } });
    const log = record(pair);
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    client.write(new Uint8Array(3 * 1380).fill(2));
    pair.net.runUntil(() => sink.bytes === 3 * 1380, 10_000);
    expect(log[0]!.seg.tsVal).toBeDefined();
    for (const { seg } of log.slice(1)) expect(seg.tsVal).toBeUndefined();
    expect(client.transport.timestamps).toBe(false);
    expect(server.transport.timestamps).toBe(false);
    expect(client.transport.mss).toBe(1380);
    expect(Math.max(...log.map((e) => e.seg.payload.length))).toBe(1380);
  });

  it("a SYN-ACK does not offer them to a SYN without them", () => {
    const pair = makePair({ configA: { timestamps: false } });
    const log = record(pair);
    const { client, server } = connectPair(pair);
    expect(log[0]!.seg.tsVal).toBeUndefined();
    expect(log[1]!.seg.tsVal).toBeUndefined();
    expect(client.transport.timestamps).toBe(false);
    expect(server.transport.timestamps).toBe(false);
  });

  /** Black hole until the first timeout backs the RTO off, then a clean link; returns the RTO after one ACK. */
  function rtoAfterFirstAckOfTimeout(timestamps: boolean): { rto: number; backedOff: number } {
    const pair = makePair({ configA: { timestamps }, configB: { timestamps } });
    const { client } = warmedUp(pair);
    let backedOff = 0;
    let rto = 0;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_A && seg.payload.length > 0 && client.stats.timeouts === 0) return false;
      if (h.src === IP_B && rto === 0 && client.stats.timeouts > 0) backedOff = client.transport.rtoMs;
      return true;
    };
    client.write(new SeededRandom(21).bytes(4 * 1380));
    pair.net.runUntil(
      () => client.stats.timeouts > 0 && client.sequence.sndUna !== client.sequence.sndNxt,
      10_000,
    );
    const una = client.sequence.sndUna;
    pair.net.runUntil(() => client.sequence.sndUna !== una, 10_000);
    rto = client.transport.rtoMs;
    return { rto, backedOff };
  }

  it("give an RTT sample from an ACK that covers only retransmissions, so a backed-off RTO collapses", () => {
    const on = rtoAfterFirstAckOfTimeout(true);
    expect(on.backedOff).toBe(400);
    // The echo times the retransmission itself: the RTO is back at its 200 ms floor at once.
    expect(on.rto).toBe(200);
    // Without timestamps Karn's rule leaves nothing to time and the backed-off value stays.
    const off = rtoAfterFirstAckOfTimeout(false);
    expect(off.backedOff).toBe(400);
    expect(off.rto).toBe(400);
  });

  /**
   * The third segment of a burst is held back `holdMs` (so RACK calls it lost and resends it) and
   * its resend is dropped: no D-SACK can tell whether the resend was needless, only timestamps.
   */
  function holdThirdDropItsResend(holdMs: number, deliverOriginal: boolean) {
    const pair = makePair();
    const { client, sink } = warmedUp(pair);
    const cwndBefore = client.transport.cwnd;
    const held = seqAdd(client.sequence.sndNxt, 2 * MSS);
    let sent = 0;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.seq !== held || seg.payload.length === 0) return true;
      sent++;
      if (sent === 1 && deliverOriginal) pair.net.inject(p, holdMs);
      // The original (held or lost) and the first resend never arrive as sent.
      return sent > 2;
    };
    const data = new SeededRandom(22).bytes(8 * MSS);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === 48 * MSS, 5_000);
    pair.net.advance(100);
    expect(sink.bytes).toBe(48 * MSS);
    return { client, cwndBefore, sink };
  }

  it("undo a window cut when the ACK echoes the original's timestamp, not the resend's (Eifel)", () => {
    const { client, cwndBefore } = holdThirdDropItsResend(35, true);
    expect(client.stats.rackLosses).toBe(1);
    expect(client.stats.retransmittedSegments).toBe(1);
    expect(client.stats.dsacksReceived).toBe(0);
    expect(client.stats.timestampUndos).toBe(1);
    expect(client.stats.spuriousUndos).toBe(1);
    expect(client.transport.cwnd).toBeGreaterThanOrEqual(cwndBefore);
  });

  it("keep the cut when the segment really was lost", () => {
    const { client, cwndBefore } = holdThirdDropItsResend(0, false);
    expect(client.stats.rackLosses).toBeGreaterThanOrEqual(1);
    expect(client.stats.timestampUndos).toBe(0);
    expect(client.stats.spuriousUndos).toBe(0);
    expect(client.transport.cwnd).toBeLessThan(cwndBefore);
  });

  it("never go back when the clock does (a wall clock stepped back), so a peer's PAWS drops nothing", () => {
    let skew = 0;
    const pair = makePair({ clockSkewA: () => skew });
    const log = record(pair);
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    const data = new SeededRandom(25).bytes(64 * MSS);
    client.write(data.subarray(0, 32 * MSS));
    pair.net.runUntil(() => sink.bytes === 32 * MSS, 10_000);
    skew = 60_000;
    client.write(data.subarray(32 * MSS));
    pair.net.runUntil(() => sink.bytes === 64 * MSS, 10_000);
    const sent = log.filter((e) => e.from === IP_A).map((e) => e.seg.tsVal!);
    expect(sent.length).toBeGreaterThan(10);
    for (let i = 1; i < sent.length; i++) expect(((sent[i]! - sent[i - 1]!) | 0) >= 0).toBe(true);
    expect(sink.digest()).toBe(sha256(data));
  });

  it("carry data byte-exact both ways through loss and reordering with timestamps on both ends", () => {
    const pair = makePair({
      seed: 23,
      profile: { loss: 0.05, reorder: 0.25, reorderDelayMs: 5, delayMs: 5, jitterMs: 0 },
    });
    const { client, server } = connectPair(pair);
    const up = new SeededRandom(23).bytes(256 * 1024);
    const down = new SeededRandom(24).bytes(256 * 1024);
    const atServer = new Sink(server, false);
    const atClient = new Sink(client, false);
    new Pump(client, up);
    new Pump(server, down);
    expect(pair.net.runUntil(() => atServer.ended && atClient.ended, 120_000)).toBe(true);
    expect(atServer.digest()).toBe(sha256(up));
    expect(atClient.digest()).toBe(sha256(down));
    expect(client.transport.timestamps).toBe(true);
    expect(client.stats.rackLosses + server.stats.rackLosses).toBeGreaterThan(0);
  });
});
