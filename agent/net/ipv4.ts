/**
 * IPv4 header parsing and writing (RFC 791), plus address and CIDR helpers.
 * Addresses are unsigned 32-bit numbers in host order (10.0.0.1 === 0x0a000001).
 */
import { finishChecksum, onesComplementSum } from "./checksum.ts";

export const IPV4_MIN_HEADER = 20;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const FLAG_DF = 0b010;
export const FLAG_MF = 0b001;

export interface Ipv4Header {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly ttl: number;
  readonly id: number;
  /** The three flag bits: reserved, DF (0b010), MF (0b001). */
  readonly flags: number;
  /** In 8-byte units, as on the wire. */
  readonly fragmentOffset: number;
  readonly headerLength: number;
  readonly totalLength: number;
}

/**
 * Parses and validates an IPv4 header. Returns null for anything that is not a
 * well-formed IPv4 packet: wrong version, IHL < 5, total length shorter than the
 * header or longer than the buffer, or a bad header checksum.
 * Trailing bytes beyond totalLength (link padding) are tolerated.
 */
export function parseIpv4(packet: Uint8Array): Ipv4Header | null {
  if (packet.length < IPV4_MIN_HEADER) return null;
  const b0 = packet[0]!;
  if (b0 >> 4 !== 4) return null;
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER || headerLength > packet.length) return null;
  const totalLength = (packet[2]! << 8) | packet[3]!;
  if (totalLength < headerLength || totalLength > packet.length) return null;
  if (onesComplementSum(packet, 0, headerLength) !== 0xffff) return null;
  const flagsFrag = (packet[6]! << 8) | packet[7]!;
  return {
    src: readUint32(packet, 12),
    dst: readUint32(packet, 16),
    protocol: packet[9]!,
    ttl: packet[8]!,
    id: (packet[4]! << 8) | packet[5]!,
    flags: flagsFrag >>> 13,
    fragmentOffset: flagsFrag & 0x1fff,
    headerLength,
    totalLength,
  };
}

export interface Ipv4HeaderFields {
  src: number;
  dst: number;
  protocol: number;
  payloadLength: number;
  ttl?: number;
  id?: number;
  /** Flag bits; defaults to DF because the stack never fragments. */
  flags?: number;
}

/** Writes a 20-byte IPv4 header (no options) at `offset`, checksum included. */
export function writeIpv4Header(buf: Uint8Array, offset: number, f: Ipv4HeaderFields): void {
  const total = IPV4_MIN_HEADER + f.payloadLength;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too long: ${total} bytes`);
  if (offset < 0 || offset + IPV4_MIN_HEADER > buf.length) throw new RangeError("IPv4 header does not fit");
  const id = f.id ?? 0;
  const flags = f.flags ?? FLAG_DF;
  buf[offset] = 0x45;
  buf[offset + 1] = 0;
  buf[offset + 2] = total >>> 8;
  buf[offset + 3] = total & 0xff;
  buf[offset + 4] = (id >>> 8) & 0xff;
  buf[offset + 5] = id & 0xff;
  buf[offset + 6] = (flags & 0b111) << 5;
  buf[offset + 7] = 0;
  buf[offset + 8] = f.ttl ?? 64;
  buf[offset + 9] = f.protocol;
  buf[offset + 10] = 0;
  buf[offset + 11] = 0;
  writeUint32(buf, offset + 12, f.src);
  writeUint32(buf, offset + 16, f.dst);
  const sum = finishChecksum(onesComplementSum(buf, offset, offset + IPV4_MIN_HEADER));
  buf[offset + 10] = sum >>> 8;
  buf[offset + 11] = sum & 0xff;
}

export function readUint32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeUint32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

export function ipToString(ip: number): string {
  return `${(ip >>> 24) & 0xff}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses strict dotted-quad notation; throws on anything else (no shorthand, no leading zeros). */
export function ipFromString(s: string): number {
  const m = DOTTED_QUAD.exec(s);
  if (!m) throw new Error(`invalid IPv4 address: "${s}"`);
  let ip = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros are ambiguous (some parsers read them as octal), so refuse them.
    if (part.length > 1 && part.startsWith("0")) throw new Error(`invalid IPv4 address: "${s}"`);
    const n = Number(part);
    if (n > 255) throw new Error(`invalid IPv4 address: "${s}"`);
    ip = ip * 256 + n;
  }
  return ip;
}

export interface Cidr {
  /** Network address with host bits cleared. */
  readonly network: number;
  readonly prefixLength: number;
}

export function prefixMask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new Error(`invalid prefix length: ${prefixLength}`);
  }
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses "a.b.c.d/n" (or a bare address as /32). Host bits are cleared, as routing tables do. */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf("/");
  const addr = slash === -1 ? s : s.slice(0, slash);
  const lenText = slash === -1 ? "32" : s.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText)) throw new Error(`invalid CIDR: "${s}"`);
  const prefixLength = Number(lenText);
  if (prefixLength > 32) throw new Error(`invalid CIDR: "${s}"`);
  const mask = prefixMask(prefixLength);
  return { network: (ipFromString(addr) & mask) >>> 0, prefixLength };
}

/** Parses "a.b.c.d/n" keeping the host part: the form of an interface Address line. */
export function parseInterfaceAddress(s: string): { address: number; prefixLength: number } {
  const slash = s.indexOf("/");
  const address = ipFromString(slash === -1 ? s : s.slice(0, slash));
  const prefixLength = slash === -1 ? 32 : parseCidr(s).prefixLength;
  return { address, prefixLength };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return (ip & prefixMask(cidr.prefixLength)) >>> 0 === cidr.network;
}

export function cidrToString(cidr: Cidr): string {
  return `${ipToString(cidr.network)}/${cidr.prefixLength}`;
}

/** True when the packet has MF set or a non-zero offset: a piece of a larger datagram. */
export function isFragment(h: Ipv4Header): boolean {
  return (h.flags & FLAG_MF) !== 0 || h.fragmentOffset !== 0;
}
