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
import { encodeTcpPacket, TCP_ACK, TCP_SYN } from "./segment.ts";
import { seqAdd, seqDiff, seqGt } from "./seq.ts";

const KiB = 1024;

describe("window scaling", () => {
  function maxInFlight(receiveBufferSize: number): { inFlight: number; maxRawWindow: number; ok: boolean } {
    const pair = makePair({ profile: { delayMs: 20 }, configB: { receiveBufferSize } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    let highest = client.sequence.sndNxt;
    let acked = client.sequence.sndUna;
    let inFlight = 0;
    let maxRawWindow = 0;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_A) {
        const end = seqAdd(seg.seq, seg.payload.length);
        if (seqGt(end, highest)) highest = end;
        inFlight = Math.max(inFlight, seqDiff(highest, acked));
      } else {
        if (seqGt(seg.ack, acked)) acked = seg.ack;
        maxRawWindow = Math.max(maxRawWindow, seg.window);
      }
      return true;
    };
    const data = new SeededRandom(1).bytes(1 << 20);
    new Pump(client, data);
    const ok = pair.net.runUntil(() => sink.ended, 600_000) && sink.digest() === sha256(data);
    return { inFlight, maxRawWindow, ok };
  }

  it("keeps more than 64 KiB in flight once both sides scale", () => {
    const r = maxInFlight(256 * KiB);
    expect(r.ok).toBe(true);
    expect(r.inFlight).toBeGreaterThan(64 * KiB);
    // The wire field stays 16-bit; the shift of 3 makes it mean up to 256 KiB.
    expect(r.maxRawWindow).toBe((256 * KiB) >> 3);
  });

  it("stays within 64 KiB when the receiver's buffer needs no scaling", () => {
    const r = maxInFlight(60 * KiB);
    expect(r.ok).toBe(true);
    expect(r.inFlight).toBeLessThanOrEqual(60 * KiB);
    expect(r.maxRawWindow).toBe(60 * KiB);
  });

  it("turns scaling off when the SYN-ACK does not carry the option", () => {
    const pair = makePair();
    pair.net.tap = (_p, h) => h.src === IP_A;
    const c = pair.a.connect(IP_B, 80);
    pair.net.advance(1);
    pair.net.tap = undefined;
    pair.net.inject(
      encodeTcpPacket(
        {
          srcIp: IP_B,
          dstIp: IP_A,
          srcPort: 80,
          dstPort: c.localPort,
          seq: 777,
          ack: seqAdd(c.sequence.iss, 1),
          flags: TCP_SYN | TCP_ACK,
          window: 5000,
          mss: 1000,
        },
        null,
        0,
        0,
      ),
    );
    pair.net.advance(1);
    expect(c.state).toBe("ESTABLISHED");
    expect(c.windowScale).toEqual({ send: 0, receive: 0 });
    expect(c.transport.mss).toBe(1000);
    expect(c.transport.sendWindow).toBe(5000);
  });
});

describe("zero window and backpressure", () => {
  it("stalls a writer into a paused reader with bounded buffers, probes with backoff, and resumes", () => {
    // A fixed 256 KiB receive buffer (no autotuning), so the bounds below are exact.
    const fixed = { maxReceiveBufferSize: 256 * KiB };
    const pair = makePair({ configA: { maxRtoMs: 2000, ...fixed }, configB: fixed });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    server.pause();
    const probes: number[] = [];
    let maxHeld = 0;
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_A && seg.payload.length === 1 && client.transport.sendWindow === 0) probes.push(now);
      maxHeld = Math.max(maxHeld, server.readableLength);
      return true;
    };
    const data = new SeededRandom(2).bytes(2 << 20);
    const pump = new Pump(client, data);
    pair.net.advance(12_000);

    // The writer is stalled: the peer holds one receive buffer, we hold one send buffer.
    // Windows are rounded up to the scale unit rather than pulled back, so the
    // receiver may hold up to 2^shift - 1 bytes over its buffer (as Linux does).
    const bound = 256 * KiB + (1 << 3) - 1;
    expect(client.transport.sendWindow).toBe(0);
    expect(server.readableLength).toBeGreaterThanOrEqual(256 * KiB);
    expect(server.readableLength).toBeLessThanOrEqual(bound);
    expect(client.bufferedAmount).toBe(256 * KiB);
    expect(pump.offset).toBe(server.readableLength + client.bufferedAmount);
    expect(maxHeld).toBeLessThanOrEqual(bound);
    expect(client.writableLength).toBe(0);

    // Probes back off exponentially up to the RTO cap.
    const gaps = probes.slice(1).map((t, i) => Math.round(t - probes[i]!));
    expect(gaps.slice(0, 5)).toEqual([400, 800, 1600, 2000, 2000]);
    expect(client.stats.persistProbes).toBe(probes.length);
    expect(client.state).toBe("ESTABLISHED");

    server.resume();
    pair.net.runUntil(() => sink.ended, 600_000);
    expect(sink.digest()).toBe(sha256(data));
    expect(maxHeld).toBeLessThanOrEqual(bound);
  });

  it("accepts only what fits in the send buffer and signals when more fits", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    new Sink(server, false);
    let writable = 0;
    client.onWritable = () => writable++;
    expect(client.write(new Uint8Array(1 << 20))).toBe(256 * KiB);
    expect(client.write(new Uint8Array(10))).toBe(0);
    pair.net.runUntil(() => writable > 0, 10_000);
    expect(writable).toBe(1);
    expect(client.writableLength).toBeGreaterThan(0);
  });

  it("sends a window update when a paused reader drains a closed window", () => {
    const pair = makePair({ configB: { maxReceiveBufferSize: 256 * KiB } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    server.pause();
    new Pump(client, new Uint8Array(300 * KiB), false);
    pair.net.advance(100);
    expect(client.transport.sendWindow).toBe(0);
    const held = server.readableLength;
    const updates: number[] = [];
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_B) updates.push(seg.window);
      return true;
    };
    server.resume();
    expect(sink.bytes).toBe(held);
    expect(updates).toEqual([(256 * KiB) >> 3]);
  });
});

describe("receive-buffer autotuning", () => {
  function transfer(maxReceiveBufferSize: number) {
    // 50 ms each way: 256 KiB per RTT is 2.5 MiB/s, whatever the sender could do.
    // The sender's buffer must not be what limits the rate either.
    const pair = makePair({
      profile: { delayMs: 50 },
      configA: { sendBufferSize: 4096 * KiB },
      configB: { maxReceiveBufferSize },
    });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    const data = new SeededRandom(8).bytes(16 << 20);
    const started = pair.net.clock();
    new Pump(client, data);
    pair.net.runUntil(() => sink.ended, 600_000);
    expect(sink.digest()).toBe(sha256(data));
    return { seconds: (pair.net.clock() - started) / 1000, buffer: server.transport.receiveBuffer };
  }

  it("grows the window with the rate the app reads, up to the ceiling, on a long path", () => {
    const fixed = transfer(256 * KiB);
    const tuned = transfer(4096 * KiB);
    expect(fixed.buffer).toBe(256 * KiB);
    expect(tuned.buffer).toBe(4096 * KiB);
    // 16 MiB at 256 KiB per 100 ms takes over 6 s; with the window growing it is several times faster.
    expect(fixed.seconds).toBeGreaterThan(6);
    expect(tuned.seconds).toBeLessThan(fixed.seconds / 3);
  });

  it("does not grow for a reader that is not reading", () => {
    const pair = makePair({ profile: { delayMs: 50 } });
    const { client, server } = connectPair(pair);
    server.pause();
    new Pump(client, new Uint8Array(4 << 20), false);
    pair.net.advance(5_000);
    expect(server.transport.receiveBuffer).toBe(256 * KiB);
    expect(server.readableLength).toBeLessThanOrEqual(256 * KiB + 127);
  });
});

describe("app callbacks", () => {
  it("echoes 4 MiB byte-exact through a backpressured relay loop (pause on short write, resume on writable)", () => {
    const pair = makePair({ seed: 3, profile: { loss: 0.02, jitterMs: 1 } });
    const { client, server } = connectPair(pair);
    const pending: Uint8Array[] = [];
    let peerEnded = false;
    let nested = 0;
    let depth = 0;
    const flush = () => {
      depth++;
      if (depth > 1) nested++;
      while (pending.length > 0) {
        const c = pending[0]!;
        const n = server.write(c);
        if (n < c.length) {
          pending[0] = c.subarray(n);
          server.pause();
          depth--;
          return;
        }
        pending.shift();
      }
      server.resume();
      if (peerEnded) server.end();
      depth--;
    };
    server.onWritable = flush;
    server.onData = (c) => {
      pending.push(c);
      flush();
    };
    server.onEnd = () => {
      peerEnded = true;
      if (pending.length === 0) server.end();
    };
    const data = new SeededRandom(4).bytes(4 << 20);
    const back = new Sink(client, false);
    new Pump(client, data);
    pair.net.runUntil(() => back.ended, 3600_000);
    expect(back.bytes).toBe(data.length);
    expect(back.digest()).toBe(sha256(data));
    // Callbacks were never re-entered from inside write() or resume().
    expect(nested).toBe(0);
  });
});

describe("delayed ACKs", () => {
  function setup() {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    // Get past the first data segment, which always earns a window update.
    client.write(new Uint8Array(10));
    pair.net.advance(100);
    const acks: { t: number; ack: number; len: number }[] = [];
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_B && seg.flags & TCP_ACK) acks.push({ t: now, ack: seg.ack, len: seg.payload.length });
      return true;
    };
    return { pair, client, server, sink, acks };
  }

  it("holds the ACK for a lone small segment for 40 ms", () => {
    const { pair, client, acks } = setup();
    const start = pair.net.now;
    client.write(new Uint8Array(100));
    pair.net.advance(100);
    expect(acks).toEqual([{ t: start + 5 + 40, ack: client.sequence.sndNxt, len: 0 }]);
  });

  it("acknowledges every second full segment at once", () => {
    const { pair, client, acks } = setup();
    const start = pair.net.now;
    client.write(new Uint8Array(4 * FULL_SEGMENT));
    pair.net.advance(30);
    const una = seqAdd(client.sequence.sndNxt, -4 * FULL_SEGMENT);
    expect(acks).toEqual([
      { t: start + 5, ack: seqAdd(una, 2 * FULL_SEGMENT), len: 0 },
      { t: start + 5, ack: seqAdd(una, 4 * FULL_SEGMENT), len: 0 },
    ]);
  });

  it("piggybacks the ACK on data the receiver sends back", () => {
    const { pair, client, server, acks } = setup();
    server.onData = (c) => server.write(c);
    const start = pair.net.now;
    client.write(new Uint8Array(100));
    pair.net.advance(100);
    expect(acks).toEqual([{ t: start + 5, ack: client.sequence.sndNxt, len: 100 }]);
  });
});
