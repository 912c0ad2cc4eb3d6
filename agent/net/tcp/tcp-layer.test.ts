import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  connectPair,
  decodeTcp,
  IP_A,
  IP_B,
  makePair,
  type Pair,
  Sink,
} from "../../../test/net/tcp/test-harness.ts";
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../checksum.ts";
import { IPV4_MIN_HEADER, type Ipv4Header, PROTO_TCP, parseIpv4, writeIpv4Header } from "../ipv4.ts";
import type { TcpConnection, TcpState } from "./connection.ts";
import { encodeTcpPacket, type OutgoingSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "./segment.ts";
import { seqAdd } from "./seq.ts";
import { TcpLayer } from "./tcp-layer.ts";

const enc = new TextEncoder();

function rawSegment(over: Partial<OutgoingSegment>): Uint8Array {
  return encodeTcpPacket(
    {
      srcIp: IP_A,
      dstIp: IP_B,
      srcPort: 40000,
      dstPort: 80,
      seq: 1000,
      ack: 0,
      flags: TCP_SYN,
      window: 1000,
      ...over,
    },
    null,
    0,
    0,
  );
}

/** Sends an RST from `from` to `to` with the given sequence number, straight onto the wire. */
function injectRst(pair: Pair, from: TcpConnection, seq: number): void {
  pair.net.inject(
    rawSegment({
      srcIp: from.localIp,
      dstIp: from.remoteIp,
      srcPort: from.localPort,
      dstPort: from.remotePort,
      seq,
      ack: from.sequence.rcvNxt,
      flags: TCP_RST | TCP_ACK,
    }),
  );
}

/** Records every segment on the wire with its time. */
function record(
  pair: Pair,
): { t: number; src: number; flags: number; seq: number; ack: number; len: number; win: number }[] {
  const log: { t: number; src: number; flags: number; seq: number; ack: number; len: number; win: number }[] =
    [];
  pair.net.tap = (p, _h, now) => {
    const { h, seg } = decodeTcp(p);
    log.push({
      t: now,
      src: h.src,
      flags: seg.flags,
      seq: seg.seq,
      ack: seg.ack,
      len: seg.payload.length,
      win: seg.window,
    });
    return true;
  };
  return log;
}

describe("handshake", () => {
  it("establishes both sides and negotiates MSS and window scaling", () => {
    const pair = makePair();
    const log = record(pair);
    const { client, server } = connectPair(pair);
    expect(client.state).toBe("ESTABLISHED");
    expect(server.state).toBe("ESTABLISHED");
    // Both SYNs carried timestamps, so each segment gives 12 of the 1380 bytes to them.
    expect(client.transport.mss).toBe(1368);
    expect(server.transport.mss).toBe(1368);
    // Receive buffers autotune up to 4 MiB, which needs a shift of 7 to fit a 16-bit window.
    expect(client.windowScale).toEqual({ send: 7, receive: 7 });
    expect(server.windowScale).toEqual({ send: 7, receive: 7 });
    expect(log.map((s) => s.flags)).toEqual([TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK]);
    expect(log[1]!.ack).toBe(seqAdd(log[0]!.seq, 1));
    expect(log[2]!.ack).toBe(seqAdd(log[1]!.seq, 1));
  });

  it("answers a SYN without window scale with no scaling and a window that fits 16 bits", () => {
    const pair = makePair();
    pair.b.listen(80, () => {});
    const replies: Uint8Array[] = [];
    pair.net.tap = (p, h) => {
      if (h.src === IP_B) replies.push(p);
      return false;
    };
    pair.net.inject(rawSegment({ flags: TCP_SYN, seq: 5000 }));
    pair.net.advance(10);
    expect(replies.length).toBe(1);
    const packet = replies[0]!;
    const { seg } = decodeTcp(packet);
    expect(seg.flags).toBe(TCP_SYN | TCP_ACK);
    expect(seg.ack).toBe(5001);
    expect(seg.mss).toBe(1380);
    expect(seg.windowShift).toBeUndefined();
    expect(seg.window).toBe(0xffff);
  });

  it("uses the peer's smaller MSS for every data segment", () => {
    const pair = makePair({ configB: { mss: 536 } });
    const log = record(pair);
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    client.write(new Uint8Array(5000).fill(7));
    pair.net.runUntil(() => sink.bytes === 5000, 10_000);
    const sizes = log.filter((s) => s.src === IP_A && s.len > 0).map((s) => s.len);
    expect(Math.max(...sizes)).toBe(524);
    expect(client.transport.mss).toBe(524);
  });

  it("completes a simultaneous open", () => {
    const pair = makePair();
    const x = pair.a.connect(IP_B, 6000, 5000);
    const y = pair.b.connect(IP_A, 5000, 6000);
    pair.net.runUntil(() => x.state === "ESTABLISHED" && y.state === "ESTABLISHED", 10_000);
    expect([x.state, y.state]).toEqual(["ESTABLISHED", "ESTABLISHED"]);
    const sink = new Sink(y);
    x.write(enc.encode("crossed"));
    pair.net.runUntil(() => sink.bytes === 7, 10_000);
    expect(sink.text()).toBe("crossed");
  });

  it("retransmits a lost SYN-ACK when the SYN is repeated", () => {
    const pair = makePair();
    let dropped = 0;
    pair.net.tap = (p) => {
      const { seg } = decodeTcp(p);
      if (seg.flags === (TCP_SYN | TCP_ACK) && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    const { client } = connectPair(pair);
    expect(dropped).toBe(1);
    expect(client.stats.timeouts).toBe(1);
  });

  it("chooses random initial sequence numbers by default", () => {
    const sent: number[] = [];
    const layer = new TcpLayer({ localIp: IP_A, send: (p) => sent.push(decodeTcp(p).seg.seq), now: () => 0 });
    for (let i = 0; i < 8; i++) layer.connect(IP_B, 80);
    expect(new Set(sent).size).toBe(8);
  });

  it("gives up on a SYN that is never answered", () => {
    const pair = makePair({ configA: { maxSynRetransmits: 3 } });
    pair.net.tap = () => false;
    const c = pair.a.connect(IP_B, 80);
    const sink = new Sink(c);
    pair.net.runUntil(() => sink.closed !== undefined, 600_000);
    expect(sink.closed).toBe("timeout");
    expect(c.stats.timeouts).toBe(4);
    expect(pair.a.connectionCount).toBe(0);
  });
});

describe("data transfer and close", () => {
  it("carries data both ways", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atServer = new Sink(server);
    const atClient = new Sink(client);
    expect(client.write(enc.encode("hello "))).toBe(6);
    expect(client.write(enc.encode("server"))).toBe(6);
    server.onData = (c) => {
      atServer.chunks.push(c);
      atServer.bytes += c.length;
      server.write(enc.encode(`echo:${Buffer.from(c).toString()}`));
    };
    pair.net.runUntil(() => atClient.bytes >= 17, 10_000);
    expect(Buffer.concat(atServer.chunks).toString()).toBe("hello server");
    expect(atClient.text().startsWith("echo:hello")).toBe(true);
  });

  it("half-closes: the side that ended still receives until the peer ends too", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atServer = new Sink(server);
    const atClient = new Sink(client);
    client.write(enc.encode("request"));
    client.end();
    expect(client.state).toBe("FIN-WAIT-1");
    expect(client.write(enc.encode("late"))).toBe(0);
    pair.net.runUntil(() => atServer.ended, 10_000);
    pair.net.advance(50);
    expect(atServer.text()).toBe("request");
    expect(server.state).toBe("CLOSE-WAIT");
    expect(client.state).toBe("FIN-WAIT-2");
    server.write(enc.encode("response after FIN"));
    server.end();
    expect(server.state).toBe("LAST-ACK");
    pair.net.runUntil(() => server.state === "CLOSED", 10_000);
    expect(atClient.text()).toBe("response after FIN");
    expect(atClient.ended).toBe(true);
    expect(client.state).toBe("TIME-WAIT");
    expect(atClient.closed).toBe("normal");
    expect(atServer.closed).toBe("normal");
  });

  it("closes simultaneously through CLOSING into TIME-WAIT", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    client.end();
    server.end();
    // Each FIN arrives (5 ms) before the ACK of the other side's FIN (10 ms).
    pair.net.advance(6);
    expect([client.state, server.state]).toEqual(["CLOSING", "CLOSING"]);
    pair.net.advance(10);
    expect([client.state, server.state]).toEqual(["TIME-WAIT", "TIME-WAIT"]);
  });

  it("leaves TIME-WAIT after 2*MSL and re-acknowledges a repeated FIN meanwhile", () => {
    const pair = makePair({ configA: { mslMs: 1000 }, configB: { mslMs: 1000 } });
    const { client, server } = connectPair(pair);
    const log = record(pair);
    let lastAckDropped = false;
    const base = pair.net.tap!;
    pair.net.tap = (p, h, now) => {
      const { seg } = decodeTcp(p);
      // Lose the client's final ACK once so the server repeats its FIN.
      if (h.src === IP_A && seg.flags === TCP_ACK && server.state === "LAST-ACK" && !lastAckDropped) {
        lastAckDropped = true;
        return false;
      }
      return base(p, h, now);
    };
    client.end();
    pair.net.runUntil(() => server.state === "CLOSE-WAIT", 1000);
    server.end();
    pair.net.runUntil(() => client.state === "TIME-WAIT", 1000);
    const enteredAt = pair.net.now;
    pair.net.runUntil(() => server.state === "CLOSED", 5000);
    expect(lastAckDropped).toBe(true);
    const fins = log.filter((s) => s.src === IP_B && s.flags & TCP_FIN);
    expect(fins.length).toBe(2);
    expect(client.state).toBe("TIME-WAIT");
    pair.net.runUntil(() => client.state === "CLOSED", 10_000);
    // The repeated FIN restarted the 2*MSL timer, so it ends 2 s after that FIN, not after entry.
    expect(pair.net.now).toBeGreaterThan(enteredAt + 2000);
    expect(pair.a.connectionCount).toBe(0);
    expect(pair.b.connectionCount).toBe(0);
  });

  it("keeps one timer queue: hundreds of TIME-WAIT blocks leave the next deadline exact and expire on time", () => {
    const pair = makePair({ configA: { mslMs: 10_000 }, configB: { mslMs: 10_000 } });
    const waiting: TcpConnection[] = [];
    let firstAt = 0;
    for (let i = 0; i < 300; i++) {
      const { client, server } = connectPair(pair, 1000 + i);
      client.end();
      pair.net.runUntil(() => server.state === "CLOSE-WAIT", 1000);
      server.end();
      pair.net.runUntil(() => client.state === "TIME-WAIT", 1000);
      if (i === 0) firstAt = pair.net.now;
      waiting.push(client);
    }
    // Each TIME-WAIT lasts 2*MSL from its start; the earliest is the first connection's. The
    // queue may wake earlier (a deadline that moved later is re-queued when it fires), never later.
    expect(pair.a.connectionCount).toBe(300);
    expect(pair.a.nextDeadline).toBeLessThanOrEqual(firstAt + 20_000);
    const { client: busy, server: busyServer } = connectPair(pair, 2000);
    const sink = new Sink(busyServer);
    busy.write(enc.encode("still works"));
    pair.net.runUntil(() => sink.bytes === 11, 1000);
    expect(sink.text()).toBe("still works");
    expect(waiting[0]!.state).toBe("TIME-WAIT");
    pair.net.runUntil(() => waiting[0]!.state === "CLOSED", 30_000);
    expect(pair.net.now).toBeLessThanOrEqual(firstAt + 20_000 + 1);
    pair.net.runUntil(() => waiting.every((c) => c.state === "CLOSED"), 30_000);
    expect(pair.a.connectionCount).toBe(1);
  });

  it("close() discards what the peer sends afterwards but still acknowledges it", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atClient = new Sink(client);
    client.close();
    server.write(enc.encode("ignored"));
    server.end();
    pair.net.runUntil(() => server.state === "CLOSED", 10_000);
    expect(atClient.bytes).toBe(0);
    expect(server.bufferedAmount).toBe(0);
  });

  it("holds data for a paused reader across a graceful close", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atServer = new Sink(server);
    server.pause();
    client.write(enc.encode("kept"));
    client.end();
    pair.net.runUntil(() => server.state === "CLOSE-WAIT", 1000);
    server.end();
    pair.net.runUntil(() => server.state === "CLOSED", 1000);
    expect(atServer.bytes).toBe(0);
    expect(atServer.closed).toBeUndefined();
    server.resume();
    expect(atServer.text()).toBe("kept");
    expect(atServer.ended).toBe(true);
    expect(atServer.closed).toBe("normal");
  });
});

describe("resets", () => {
  it("refuses a connection to a closed port with RST", () => {
    const pair = makePair();
    const c = pair.a.connect(IP_B, 81);
    const sink = new Sink(c);
    pair.net.runUntil(() => sink.closed !== undefined, 10_000);
    expect(sink.closed).toBe("refused");
    expect(c.state).toBe("CLOSED");
    expect(pair.b.stats.resetsSent).toBe(1);
    expect(pair.a.connectionCount).toBe(0);
  });

  it("forms the RST for a closed port from the offending segment (RFC 9293 §3.10.7.1)", () => {
    const pair = makePair();
    const replies: { flags: number; seq: number; ack: number }[] = [];
    pair.net.tap = (p) => {
      const { seg } = decodeTcp(p);
      replies.push({ flags: seg.flags, seq: seg.seq, ack: seg.ack });
      return false;
    };
    const dataPacket = encodeTcpPacket(
      { srcIp: IP_A, dstIp: IP_B, srcPort: 40000, dstPort: 99, seq: 7, ack: 0, flags: TCP_FIN, window: 10 },
      { copyTo: (d, o) => d.fill(1, o, o + 3) },
      0,
      3,
    );
    pair.net.inject(dataPacket);
    pair.net.inject(rawSegment({ dstPort: 99, flags: TCP_ACK, seq: 1, ack: 0xdeadbeef }));
    pair.net.inject(rawSegment({ dstPort: 99, flags: TCP_RST, seq: 1 }));
    pair.net.advance(1);
    expect(replies).toEqual([
      { flags: TCP_RST | TCP_ACK, seq: 0, ack: 7 + 3 + 1 },
      { flags: TCP_RST, seq: 0xdeadbeef, ack: 0 },
    ]);
  });

  it("answers a stray ACK to a listening port with RST and ignores a stray RST", () => {
    const pair = makePair();
    pair.b.listen(80, () => {});
    pair.net.inject(rawSegment({ flags: TCP_ACK, ack: 42 }));
    pair.net.inject(rawSegment({ flags: TCP_RST }));
    pair.net.advance(1);
    expect(pair.b.stats.resetsSent).toBe(1);
    expect(pair.b.connectionCount).toBe(0);
  });

  const resetCases: {
    state: TcpState;
    setup: (p: Pair, c: TcpConnection, s: TcpConnection) => void;
    expected: string;
  }[] = [
    { state: "ESTABLISHED", setup: () => {}, expected: "reset" },
    {
      state: "FIN-WAIT-1",
      setup: (p, c) => {
        p.net.tap = (_pk, h) => h.src !== IP_A;
        c.end();
      },
      expected: "reset",
    },
    {
      state: "FIN-WAIT-2",
      setup: (p, c) => {
        c.end();
        p.net.advance(20);
      },
      expected: "reset",
    },
    {
      state: "CLOSE-WAIT",
      setup: (p, _c, s) => {
        s.end();
        p.net.advance(20);
      },
      expected: "reset",
    },
  ];

  for (const tc of resetCases) {
    it(`closes on an exact RST in ${tc.state}`, () => {
      const pair = makePair();
      const { client, server } = connectPair(pair);
      const sink = new Sink(client);
      // FIN-WAIT-1/2 and CLOSE-WAIT are states of the client in these setups.
      tc.setup(pair, client, server);
      if (tc.state === "CLOSE-WAIT") expect(client.state).toBe("CLOSE-WAIT");
      else expect(client.state).toBe(tc.state);
      injectRst(pair, server, client.sequence.rcvNxt);
      pair.net.advance(1);
      expect(client.state).toBe("CLOSED");
      expect(sink.closed).toBe(tc.expected);
      expect(pair.a.connectionCount).toBe(0);
    });
  }

  it("closes quietly on RST in LAST-ACK and TIME-WAIT", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atServer = new Sink(server);
    const atClient = new Sink(client);
    client.end();
    pair.net.runUntil(() => server.state === "CLOSE-WAIT", 1000);
    pair.net.tap = (_p, h) => h.src !== IP_A;
    server.end();
    pair.net.runUntil(() => client.state === "TIME-WAIT", 1000);
    expect(server.state).toBe("LAST-ACK");
    injectRst(pair, client, server.sequence.rcvNxt);
    injectRst(pair, server, client.sequence.rcvNxt);
    pair.net.tap = undefined;
    pair.net.advance(1);
    expect([client.state, server.state]).toEqual(["CLOSED", "CLOSED"]);
    expect(atClient.closed).toBe("normal");
    expect(atServer.closed).toBe("normal");
  });

  it("challenges an in-window RST that is not exact and ignores one outside the window", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const log = record(pair);
    injectRst(pair, server, seqAdd(client.sequence.rcvNxt, 100));
    pair.net.advance(1);
    expect(client.state).toBe("ESTABLISHED");
    expect(client.stats.challengeAcks).toBe(1);
    const challenge = log.find((s) => s.src === IP_A);
    expect(challenge?.flags).toBe(TCP_ACK);
    expect(challenge?.ack).toBe(client.sequence.rcvNxt);
    log.length = 0;
    injectRst(pair, server, seqAdd(client.sequence.rcvNxt, 10_000_000));
    pair.net.advance(1);
    expect(client.state).toBe("ESTABLISHED");
    expect(log.filter((s) => s.src === IP_A)).toEqual([]);
  });

  it("challenges a SYN on an established connection instead of resetting", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    pair.net.inject(
      rawSegment({
        srcPort: server.localPort,
        dstPort: client.localPort,
        srcIp: IP_B,
        dstIp: IP_A,
        seq: client.sequence.rcvNxt,
        flags: TCP_SYN,
      }),
    );
    pair.net.advance(1);
    expect(client.state).toBe("ESTABLISHED");
    expect(client.stats.challengeAcks).toBe(1);
  });

  it("drops a half-open connection on RST in SYN-RECEIVED without telling the listener", () => {
    const pair = makePair();
    let accepted = 0;
    pair.b.listen(80, () => accepted++);
    pair.net.tap = (_p, h) => h.src === IP_A;
    pair.net.inject(rawSegment({ flags: TCP_SYN, seq: 1000 }));
    pair.net.advance(1);
    expect(pair.b.connectionCount).toBe(1);
    pair.net.inject(rawSegment({ flags: TCP_RST, seq: 1001 }));
    pair.net.advance(1);
    expect(pair.b.connectionCount).toBe(0);
    expect(accepted).toBe(0);
  });

  it("ignores an RST in SYN-SENT unless it acknowledges our SYN", () => {
    const pair = makePair();
    pair.net.tap = (_p, h) => h.src === IP_B;
    const c = pair.a.connect(IP_B, 80);
    const sink = new Sink(c);
    pair.net.advance(1);
    const iss = c.sequence.iss;
    const rst = (flags: number, ack: number) =>
      rawSegment({ srcIp: IP_B, dstIp: IP_A, srcPort: 80, dstPort: c.localPort, seq: 0, ack, flags });
    pair.net.inject(rst(TCP_RST, 0));
    pair.net.inject(rst(TCP_RST | TCP_ACK, iss + 5));
    pair.net.advance(1);
    expect(c.state).toBe("SYN-SENT");
    pair.net.inject(rst(TCP_RST | TCP_ACK, seqAdd(iss, 1)));
    pair.net.advance(1);
    expect(c.state).toBe("CLOSED");
    expect(sink.closed).toBe("refused");
  });

  it("abort() sends RST and the peer closes with reason reset", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const atClient = new Sink(client);
    const atServer = new Sink(server);
    client.write(new Uint8Array(100_000));
    client.abort();
    pair.net.advance(20);
    expect(atClient.closed).toBe("aborted");
    expect(atServer.closed).toBe("reset");
    expect([client.state, server.state]).toEqual(["CLOSED", "CLOSED"]);
  });

  it("resets with reason timeout when the peer vanishes", () => {
    const pair = makePair({ configA: { maxRetransmits: 4 } });
    const { client } = connectPair(pair);
    const sink = new Sink(client);
    pair.net.tap = () => false;
    client.write(enc.encode("anyone?"));
    pair.net.runUntil(() => sink.closed !== undefined, 600_000);
    expect(sink.closed).toBe("timeout");
    expect(client.stats.timeouts).toBe(5);
  });
});

describe("hostile and malformed input", () => {
  function deliverRaw(layer: TcpLayer, tcp: Uint8Array, src = IP_A, dst = IP_B): void {
    const packet = new Uint8Array(IPV4_MIN_HEADER + tcp.length);
    writeIpv4Header(packet, 0, { src, dst, protocol: PROTO_TCP, payloadLength: tcp.length });
    packet.set(tcp, IPV4_MIN_HEADER);
    const h = parseIpv4(packet) as Ipv4Header;
    layer.input(h, packet.subarray(IPV4_MIN_HEADER), 0);
  }

  function checksummed(tcp: Uint8Array): Uint8Array {
    tcp[16] = 0;
    tcp[17] = 0;
    const sum = finishChecksum(
      onesComplementSum(tcp, 0, tcp.length, pseudoHeaderSum(IP_A, IP_B, PROTO_TCP, tcp.length)),
    );
    tcp[16] = sum >>> 8;
    tcp[17] = sum & 0xff;
    return tcp;
  }

  it("drops and counts a segment with a bad checksum, and the stream still arrives intact", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const sink = new Sink(server);
    let corrupted = 0;
    pair.net.tap = (p, h) => {
      if (h.src === IP_A && p.length > 100 && corrupted === 0) {
        corrupted++;
        const bad = p.slice();
        bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
        pair.net.inject(bad, 5);
        return false;
      }
      return true;
    };
    const data = new Uint8Array(20_000).map((_, i) => i * 7);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === data.length, 10_000);
    expect(pair.b.stats.badChecksum).toBe(1);
    expect(Buffer.concat(sink.chunks).equals(Buffer.from(data))).toBe(true);
  });

  it("counts truncated headers, bad data offsets and bad options without answering", () => {
    const sent: Uint8Array[] = [];
    const layer = new TcpLayer({ localIp: IP_B, send: (p) => sent.push(p), now: () => 0 });
    layer.listen(80, () => {});
    const good = rawSegment({}).subarray(IPV4_MIN_HEADER).slice();
    deliverRaw(layer, good.subarray(0, 12));
    const badOffset = good.slice();
    badOffset[12] = 0x30;
    deliverRaw(layer, checksummed(badOffset));
    const opts = new Uint8Array(24);
    opts.set(good.subarray(0, 20));
    opts[12] = 0x60;
    opts.set([2, 0, 1, 1], 20);
    deliverRaw(layer, checksummed(opts));
    expect(layer.stats).toMatchObject({ truncated: 1, badDataOffset: 1, badOptions: 1, badChecksum: 0 });
    expect(sent).toEqual([]);
    expect(layer.connectionCount).toBe(0);
  });

  it("never throws on random segments, valid checksums or not, into listeners and live connections", () => {
    const pair = makePair();
    const { client } = connectPair(pair);
    const layer = pair.a;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.boolean(),
        fc.boolean(),
        (bytes, fix, aimAtConnection) => {
          const tcp = bytes.slice();
          if (tcp.length >= 20 && aimAtConnection) {
            tcp[0] = client.remotePort >>> 8;
            tcp[1] = client.remotePort & 0xff;
            tcp[2] = client.localPort >>> 8;
            tcp[3] = client.localPort & 0xff;
          }
          if (fix && tcp.length >= 20) {
            tcp[16] = 0;
            tcp[17] = 0;
            const sum = finishChecksum(
              onesComplementSum(tcp, 0, tcp.length, pseudoHeaderSum(IP_B, IP_A, PROTO_TCP, tcp.length)),
            );
            tcp[16] = sum >>> 8;
            tcp[17] = sum & 0xff;
          }
          deliverRaw(layer, tcp, IP_B, IP_A);
          pair.net.advance(1);
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
    expect(layer.stats.segmentsReceived).toBeGreaterThan(1500);
  });

  it("caps half-open connections per listener", () => {
    const sent: Uint8Array[] = [];
    const layer = new TcpLayer({
      localIp: IP_B,
      send: (p) => sent.push(p),
      now: () => 0,
      config: { maxSynBacklog: 2 },
    });
    layer.listen(80, () => {});
    for (let port = 1; port <= 3; port++) {
      deliverRaw(layer, rawSegment({ srcPort: port }).subarray(IPV4_MIN_HEADER));
    }
    expect(layer.connectionCount).toBe(2);
    expect(layer.stats.synBacklogFull).toBe(1);
    expect(sent.length).toBe(2);
  });

  it("rejects bad ports and reused tuples with clear errors", () => {
    const layer = new TcpLayer({ localIp: IP_A, send: () => {}, now: () => 0 });
    expect(() => layer.connect(IP_B, 0)).toThrow("invalid tcp port: 0");
    expect(() => layer.listen(70000, () => {})).toThrow("invalid tcp port: 70000");
    layer.listen(80, () => {});
    expect(() => layer.listen(80, () => {})).toThrow("already listening");
    layer.connect(IP_B, 443, 50000);
    expect(() => layer.connect(IP_B, 443, 50000)).toThrow("already in use");
  });
});
