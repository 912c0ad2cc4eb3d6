/**
 * TCP segment wire format (RFC 9293 §3.1): header, the options this stack
 * speaks (MSS, window scale, SACK-permitted, SACK blocks, timestamps), and the
 * checksum over the IPv4 pseudo-header.
 *
 * Parsing never throws: every malformed input maps to a drop reason the layer
 * counts. Encoding writes a whole IPv4 packet in one allocation, copying the
 * payload straight from its source (the send ring) into place.
 */
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../checksum.ts";
import { IPV4_MIN_HEADER, PROTO_TCP, writeIpv4Header } from "../ipv4.ts";

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const TCP_MIN_HEADER = 20;
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMPS = 8;
/** Four blocks fill 34 of the 40 option bytes; more cannot fit. */
export const MAX_SACK_BLOCKS = 4;
/** With timestamps (12 bytes with their padding) only three blocks fit. */
export const MAX_SACK_BLOCKS_WITH_TIMESTAMPS = 3;
/** Bytes a timestamps option takes in every segment once negotiated (two NOPs + kind, len, 2 x 4). */
export const TIMESTAMPS_OPTION_BYTES = 12;
/** RFC 7323 §2.3: a larger shift is treated as 14. */
export const MAX_WINDOW_SHIFT = 14;

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** As on the wire; the connection applies the window scale. */
  readonly window: number;
  readonly mss: number | undefined;
  readonly windowShift: number | undefined;
  readonly sackPermitted: boolean;
  /** SACK blocks as flat [left0, right0, left1, right1, ...]; undefined when absent (the common case). */
  readonly sackBlocks: readonly number[] | undefined;
  /** RFC 7323 TSval and TSecr; undefined when the segment has no timestamps option. */
  readonly tsVal: number | undefined;
  readonly tsEcr: number | undefined;
  readonly payload: Uint8Array;
}

export type TcpDropReason = "truncated" | "bad-data-offset" | "bad-checksum" | "bad-options";

export type TcpParseResult =
  | { readonly ok: true; readonly segment: TcpSegment }
  | { readonly ok: false; readonly reason: TcpDropReason };

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Parses a TCP segment (the IPv4 payload) and verifies its checksum against the pseudo-header. */
export function parseTcpSegment(bytes: Uint8Array, srcIp: number, dstIp: number): TcpParseResult {
  if (bytes.length < TCP_MIN_HEADER) return { ok: false, reason: "truncated" };
  const dataOffset = (bytes[12]! >> 4) * 4;
  if (dataOffset < TCP_MIN_HEADER || dataOffset > bytes.length)
    return { ok: false, reason: "bad-data-offset" };
  const sum = onesComplementSum(
    bytes,
    0,
    bytes.length,
    pseudoHeaderSum(srcIp, dstIp, PROTO_TCP, bytes.length),
  );
  if (sum !== 0xffff) return { ok: false, reason: "bad-checksum" };

  let mss: number | undefined;
  let windowShift: number | undefined;
  let sackPermitted = false;
  let sackBlocks: number[] | undefined;
  let tsVal: number | undefined;
  let tsEcr: number | undefined;
  let i = TCP_MIN_HEADER;
  while (i < dataOffset) {
    const kind = bytes[i]!;
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= dataOffset) return { ok: false, reason: "bad-options" };
    const len = bytes[i + 1]!;
    // A zero or one length would loop forever or read past the header (RFC 9293 §3.1 MUST-7).
    if (len < 2 || i + len > dataOffset) return { ok: false, reason: "bad-options" };
    // Options with the wrong length for their kind are ignored rather than trusted.
    if (kind === OPT_MSS && len === 4) mss = u16(bytes, i + 2);
    else if (kind === OPT_WSCALE && len === 3) windowShift = Math.min(bytes[i + 2]!, MAX_WINDOW_SHIFT);
    else if (kind === OPT_SACK_PERMITTED && len === 2) sackPermitted = true;
    else if (kind === OPT_SACK && len >= 10 && (len - 2) % 8 === 0) {
      sackBlocks = [];
      for (let b = i + 2; b < i + len; b += 8) sackBlocks.push(u32(bytes, b), u32(bytes, b + 4));
    } else if (kind === OPT_TIMESTAMPS && len === 10) {
      tsVal = u32(bytes, i + 2);
      tsEcr = u32(bytes, i + 6);
    }
    i += len;
  }

  return {
    ok: true,
    segment: {
      srcPort: u16(bytes, 0),
      dstPort: u16(bytes, 2),
      seq: u32(bytes, 4),
      ack: u32(bytes, 8),
      flags: bytes[13]!,
      window: u16(bytes, 14),
      mss,
      windowShift,
      sackPermitted,
      sackBlocks,
      tsVal,
      tsEcr,
      payload: bytes.subarray(dataOffset),
    },
  };
}

/** Fields of an outgoing segment. Connections keep one of these and mutate it per send. */
export interface OutgoingSegment {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** Already scaled down: the 16-bit value that goes on the wire. */
  window: number;
  /** SYN-only options; leave undefined on other segments. */
  mss?: number | undefined;
  windowShift?: number | undefined;
  sackPermitted?: boolean | undefined;
  /**
   * Flat [left, right, ...] pairs, at most MAX_SACK_BLOCKS of them (MAX_SACK_BLOCKS_WITH_TIMESTAMPS
   * with tsVal set); only on segments without payload.
   */
  sackBlocks?: readonly number[] | undefined;
  /** RFC 7323 timestamps: both or neither. */
  tsVal?: number | undefined;
  tsEcr?: number | undefined;
}

/** Anything that can copy payload bytes into an outgoing packet (the send ring, or a plain array). */
export interface PayloadSource {
  copyTo(dest: Uint8Array, destOffset: number, from: number, len: number): void;
}

/** Wraps a plain byte array as a payload source. */
export function bytesSource(bytes: Uint8Array): PayloadSource {
  return {
    copyTo(dest, destOffset, from, len) {
      dest.set(bytes.subarray(from, from + len), destOffset);
    },
  };
}

function sackBlockCount(f: OutgoingSegment): number {
  if (f.sackBlocks === undefined) return 0;
  const max = f.tsVal === undefined ? MAX_SACK_BLOCKS : MAX_SACK_BLOCKS_WITH_TIMESTAMPS;
  return Math.min(f.sackBlocks.length >> 1, max);
}

function optionsLength(f: OutgoingSegment): number {
  const sack = sackBlockCount(f);
  return (
    (f.mss !== undefined ? 4 : 0) +
    (f.windowShift !== undefined ? 4 : 0) +
    (f.sackPermitted ? 4 : 0) +
    (f.tsVal !== undefined ? TIMESTAMPS_OPTION_BYTES : 0) +
    (sack > 0 ? 4 + 8 * sack : 0)
  );
}

/**
 * Builds a complete IPv4 packet carrying one TCP segment. The packet is a fresh
 * allocation because ownership passes to the caller's send path.
 */
export function encodeTcpPacket(
  f: OutgoingSegment,
  payload: PayloadSource | null,
  from: number,
  len: number,
): Uint8Array {
  const headerLen = TCP_MIN_HEADER + optionsLength(f);
  const tcpLen = headerLen + len;
  const packet = new Uint8Array(IPV4_MIN_HEADER + tcpLen);
  writeIpv4Header(packet, 0, { src: f.srcIp, dst: f.dstIp, protocol: PROTO_TCP, payloadLength: tcpLen });
  const t = IPV4_MIN_HEADER;
  packet[t] = f.srcPort >>> 8;
  packet[t + 1] = f.srcPort & 0xff;
  packet[t + 2] = f.dstPort >>> 8;
  packet[t + 3] = f.dstPort & 0xff;
  writeU32(packet, t + 4, f.seq);
  writeU32(packet, t + 8, f.ack);
  packet[t + 12] = (headerLen / 4) << 4;
  packet[t + 13] = f.flags;
  packet[t + 14] = (f.window >>> 8) & 0xff;
  packet[t + 15] = f.window & 0xff;
  let o = t + TCP_MIN_HEADER;
  if (f.mss !== undefined) {
    packet[o] = OPT_MSS;
    packet[o + 1] = 4;
    packet[o + 2] = f.mss >>> 8;
    packet[o + 3] = f.mss & 0xff;
    o += 4;
  }
  if (f.windowShift !== undefined) {
    packet[o] = OPT_NOP;
    packet[o + 1] = OPT_WSCALE;
    packet[o + 2] = 3;
    packet[o + 3] = f.windowShift;
    o += 4;
  }
  if (f.sackPermitted) {
    packet[o] = OPT_NOP;
    packet[o + 1] = OPT_NOP;
    packet[o + 2] = OPT_SACK_PERMITTED;
    packet[o + 3] = 2;
    o += 4;
  }
  if (f.tsVal !== undefined) {
    // Two NOPs first, so both 32-bit values sit 4-byte aligned (RFC 7323 appendix A).
    packet[o] = OPT_NOP;
    packet[o + 1] = OPT_NOP;
    packet[o + 2] = OPT_TIMESTAMPS;
    packet[o + 3] = 10;
    writeU32(packet, o + 4, f.tsVal);
    writeU32(packet, o + 8, f.tsEcr ?? 0);
    o += TIMESTAMPS_OPTION_BYTES;
  }
  const sack = sackBlockCount(f);
  if (sack > 0) {
    const blocks = f.sackBlocks!;
    packet[o] = OPT_NOP;
    packet[o + 1] = OPT_NOP;
    packet[o + 2] = OPT_SACK;
    packet[o + 3] = 2 + 8 * sack;
    o += 4;
    for (let b = 0; b < 2 * sack; b++, o += 4) writeU32(packet, o, blocks[b]!);
  }
  if (payload !== null && len > 0) payload.copyTo(packet, o, from, len);
  const sum = finishChecksum(
    onesComplementSum(packet, t, packet.length, pseudoHeaderSum(f.srcIp, f.dstIp, PROTO_TCP, tcpLen)),
  );
  packet[t + 16] = sum >>> 8;
  packet[t + 17] = sum & 0xff;
  return packet;
}

function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

/** Short human form for logs and test failures: "S. 1000:1010 ack 5 win 512". */
export function describeFlags(flags: number): string {
  let s = "";
  if (flags & TCP_SYN) s += "S";
  if (flags & TCP_FIN) s += "F";
  if (flags & TCP_RST) s += "R";
  if (flags & TCP_PSH) s += "P";
  if (flags & TCP_ACK) s += ".";
  return s;
}
