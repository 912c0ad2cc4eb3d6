import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../checksum.ts";
import { IPV4_MIN_HEADER, PROTO_TCP, parseIpv4 } from "../ipv4.ts";
import {
  bytesSource,
  encodeTcpPacket,
  type OutgoingSegment,
  parseTcpSegment,
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
} from "./segment.ts";

const A = 0x0a000001;
const B = 0x0a000002;

function fields(over: Partial<OutgoingSegment> = {}): OutgoingSegment {
  return {
    srcIp: A,
    dstIp: B,
    srcPort: 40000,
    dstPort: 443,
    seq: 0xfffffff0,
    ack: 7,
    flags: TCP_ACK,
    window: 5000,
    ...over,
  };
}

function tcpPart(packet: Uint8Array): Uint8Array {
  return packet.subarray(IPV4_MIN_HEADER);
}

/** Recomputes the checksum of a hand-built segment so option tests start from valid packets. */
function fixChecksum(seg: Uint8Array, src = A, dst = B): Uint8Array {
  seg[16] = 0;
  seg[17] = 0;
  const sum = finishChecksum(
    onesComplementSum(seg, 0, seg.length, pseudoHeaderSum(src, dst, PROTO_TCP, seg.length)),
  );
  seg[16] = sum >>> 8;
  seg[17] = sum & 0xff;
  return seg;
}

function withOptions(options: number[], payload: number[] = []): Uint8Array {
  const base = tcpPart(encodeTcpPacket(fields({ flags: TCP_SYN }), null, 0, 0));
  const optLen = Math.ceil(options.length / 4) * 4;
  const seg = new Uint8Array(20 + optLen + payload.length);
  seg.set(base.subarray(0, 20));
  seg.set(options, 20);
  seg.set(payload, 20 + optLen);
  seg[12] = ((20 + optLen) / 4) << 4;
  return fixChecksum(seg);
}

describe("TCP segment encoding", () => {
  it("round-trips header fields, SYN options and payload", () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const packet = encodeTcpPacket(
      fields({ flags: TCP_SYN | TCP_ACK | TCP_PSH, mss: 1380, windowShift: 7, sackPermitted: true }),
      bytesSource(data),
      2,
      5,
    );
    const ip = parseIpv4(packet);
    expect(ip).not.toBeNull();
    expect(ip!.protocol).toBe(PROTO_TCP);
    expect(ip!.totalLength).toBe(20 + 32 + 5);
    const r = parseTcpSegment(tcpPart(packet), A, B);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.segment;
    expect(s.srcPort).toBe(40000);
    expect(s.dstPort).toBe(443);
    expect(s.seq).toBe(0xfffffff0);
    expect(s.ack).toBe(7);
    expect(s.flags).toBe(TCP_SYN | TCP_ACK | TCP_PSH);
    expect(s.window).toBe(5000);
    expect(s.mss).toBe(1380);
    expect(s.windowShift).toBe(7);
    expect(s.sackPermitted).toBe(true);
    expect([...s.payload]).toEqual([3, 4, 5, 6, 7]);
  });

  it("round-trips SACK blocks, capped at four", () => {
    const blocks = [10, 20, 30, 40, 0xfffffff0, 5, 100, 200, 300, 400];
    const packet = encodeTcpPacket(fields({ sackBlocks: blocks }), null, 0, 0);
    expect(packet.length).toBe(20 + 20 + 4 + 32);
    const r = parseTcpSegment(tcpPart(packet), A, B);
    expect(r.ok && r.segment.sackBlocks).toEqual(blocks.slice(0, 8));
    const none = parseTcpSegment(tcpPart(encodeTcpPacket(fields(), null, 0, 0)), A, B);
    expect(none.ok && none.segment.sackBlocks).toBeUndefined();
  });

  it("round-trips timestamps, 4-byte aligned, with at most three SACK blocks beside them", () => {
    const blocks = [10, 20, 30, 40, 50, 60, 70, 80];
    const packet = encodeTcpPacket(
      fields({ tsVal: 0xfedcba98, tsEcr: 0x01020304, sackBlocks: blocks }),
      null,
      0,
      0,
    );
    // 12 bytes of timestamps and 4 + 3 * 8 of SACK fill the 40 option bytes exactly.
    expect(packet.length).toBe(20 + 20 + 40);
    const tcp = tcpPart(packet);
    expect([...tcp.subarray(20, 32)]).toEqual([1, 1, 8, 10, 0xfe, 0xdc, 0xba, 0x98, 1, 2, 3, 4]);
    const r = parseTcpSegment(tcp, A, B);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.segment.tsVal).toBe(0xfedcba98);
    expect(r.segment.tsEcr).toBe(0x01020304);
    expect(r.segment.sackBlocks).toEqual(blocks.slice(0, 6));
    const none = parseTcpSegment(tcpPart(encodeTcpPacket(fields(), null, 0, 0)), A, B);
    expect(none.ok && none.segment.tsVal).toBeUndefined();
  });

  it("writes exact bytes for a bare ACK", () => {
    const seg = tcpPart(encodeTcpPacket(fields({ seq: 1, ack: 2, window: 0x1234 }), null, 0, 0));
    expect([...seg.subarray(0, 16)]).toEqual([
      0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x10, 0x12, 0x34,
    ]);
    // A valid checksum makes the whole segment plus pseudo-header sum to 0xffff.
    expect(onesComplementSum(seg, 0, seg.length, pseudoHeaderSum(A, B, PROTO_TCP, seg.length))).toBe(0xffff);
  });
});

describe("TCP segment parsing", () => {
  it("drops a segment whose checksum does not match", () => {
    const seg = tcpPart(encodeTcpPacket(fields(), bytesSource(new Uint8Array([9, 9, 9])), 0, 3)).slice();
    seg[seg.length - 1] = seg[seg.length - 1]! ^ 0x01;
    expect(parseTcpSegment(seg, A, B)).toEqual({ ok: false, reason: "bad-checksum" });
  });

  it("drops a segment checksummed for other addresses", () => {
    const seg = tcpPart(encodeTcpPacket(fields(), null, 0, 0));
    expect(parseTcpSegment(seg, A, 0x0a000003)).toEqual({ ok: false, reason: "bad-checksum" });
  });

  it("drops truncated headers and bad data offsets", () => {
    const seg = tcpPart(encodeTcpPacket(fields(), null, 0, 0)).slice();
    expect(parseTcpSegment(seg.subarray(0, 19), A, B)).toEqual({ ok: false, reason: "truncated" });
    const low = seg.slice();
    low[12] = 4 << 4;
    expect(parseTcpSegment(low, A, B)).toEqual({ ok: false, reason: "bad-data-offset" });
    const high = seg.slice();
    high[12] = 15 << 4;
    expect(parseTcpSegment(high, A, B)).toEqual({ ok: false, reason: "bad-data-offset" });
  });

  it("reads timestamps and SACK blocks among unknown options", () => {
    const seg = withOptions([
      8,
      10,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      2, // timestamps
      1,
      1,
      5,
      10,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      9, // NOP NOP SACK one block
      30,
      6,
      1,
      2,
      3,
      4, // unknown kind 30
      2,
      4,
      0x05,
      0x64, // MSS 1380
      0, // EOL, then padding
    ]);
    const r = parseTcpSegment(seg, A, B);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.segment.mss).toBe(1380);
    expect(r.segment.tsVal).toBe(1);
    expect(r.segment.tsEcr).toBe(2);
    expect(r.segment.sackBlocks).toEqual([1, 9]);
  });

  it("clamps a window shift above 14 and ignores wrong-length known options", () => {
    const r = parseTcpSegment(withOptions([3, 3, 20, 2, 6, 1, 2, 3, 4, 4, 3, 0, 8, 6, 0, 0, 0, 1]), A, B);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.segment.windowShift).toBe(14);
    expect(r.segment.mss).toBeUndefined();
    expect(r.segment.sackPermitted).toBe(false);
    // A timestamps option must be 10 bytes long.
    expect(r.segment.tsVal).toBeUndefined();
  });

  it("drops options with zero length or running past the header", () => {
    expect(parseTcpSegment(withOptions([30, 0, 1, 1]), A, B)).toEqual({ ok: false, reason: "bad-options" });
    expect(parseTcpSegment(withOptions([1, 1, 30, 9]), A, B)).toEqual({ ok: false, reason: "bad-options" });
    expect(parseTcpSegment(withOptions([1, 1, 1, 30]), A, B)).toEqual({ ok: false, reason: "bad-options" });
  });

  it("never throws on arbitrary bytes, checksummed or not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 120 }), fc.boolean(), (bytes, fix) => {
        const seg = bytes.slice();
        if (fix && seg.length >= 20) fixChecksum(seg);
        const r = parseTcpSegment(seg, A, B);
        if (r.ok) expect(r.segment.payload.length).toBeLessThanOrEqual(seg.length - 20);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
