/**
 * The slice of STUN (RFC 5389) the agent needs: a Binding request sent from the
 * agent's own WireGuard UDP socket, and the XOR-MAPPED-ADDRESS in the answer,
 * which is the address a NAT maps that socket to (the "server-reflexive"
 * candidate). Sending from the same socket matters: a separate socket would
 * get a different mapping.
 *
 * Header (20 bytes):
 *   type u16 | length u16 (of attributes) | magic cookie 0x2112A442 | transaction id (12 B)
 * Attribute: type u16 | length u16 | value, padded to 4 bytes.
 *
 * WireGuard datagrams start with a type byte 1..4 followed by three zero bytes,
 * so `isStunMessage` tells the two apart on one socket without ambiguity.
 */

export const STUN_MAGIC = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
const ATTR_SOFTWARE = 0x8022;

export interface MappedAddress {
  host: string;
  port: number;
}

export function isStunMessage(b: Uint8Array): boolean {
  return (
    b.length >= 20 &&
    (b[0]! & 0xc0) === 0 &&
    b[4] === 0x21 &&
    b[5] === 0x12 &&
    b[6] === 0xa4 &&
    b[7] === 0x42 &&
    ((b[2]! << 8) | b[3]!) + 20 === b.length
  );
}

export function encodeBindingRequest(transactionId: Uint8Array): Uint8Array {
  if (transactionId.length !== 12) throw new RangeError("STUN transaction id must be 12 bytes");
  const out = new Uint8Array(20);
  const v = new DataView(out.buffer);
  v.setUint16(0, BINDING_REQUEST);
  v.setUint16(2, 0);
  v.setUint32(4, STUN_MAGIC);
  out.set(transactionId, 8);
  return out;
}

/** The transaction id of a Binding request, or null if `b` is not one. */
export function parseBindingRequest(b: Uint8Array): Uint8Array | null {
  if (!isStunMessage(b)) return null;
  if (((b[0]! << 8) | b[1]!) !== BINDING_REQUEST) return null;
  return b.slice(8, 20);
}

/** A Binding success response carrying XOR-MAPPED-ADDRESS for an IPv4 source. */
export function encodeBindingSuccess(transactionId: Uint8Array, mapped: MappedAddress): Uint8Array {
  const parts = mapped.host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${mapped.host}`);
  }
  const software = new TextEncoder().encode("tether");
  const softLen = software.length;
  const softPadded = (softLen + 3) & ~3;
  const out = new Uint8Array(20 + 12 + 4 + softPadded);
  const v = new DataView(out.buffer);
  v.setUint16(0, BINDING_SUCCESS);
  v.setUint16(2, out.length - 20);
  v.setUint32(4, STUN_MAGIC);
  out.set(transactionId, 8);
  v.setUint16(20, ATTR_XOR_MAPPED_ADDRESS);
  v.setUint16(22, 8);
  v.setUint8(24, 0);
  v.setUint8(25, 0x01); // IPv4
  v.setUint16(26, mapped.port ^ (STUN_MAGIC >>> 16));
  const addr = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  v.setUint32(28, (addr ^ STUN_MAGIC) >>> 0);
  v.setUint16(32, ATTR_SOFTWARE);
  v.setUint16(34, softLen);
  out.set(software, 36);
  return out;
}

/**
 * Parses a Binding success response for `transactionId`. Returns null for
 * anything else (another transaction, an error response, malformed input),
 * because a stray or forged packet must not become a candidate endpoint.
 */
export function parseBindingSuccess(b: Uint8Array, transactionId: Uint8Array): MappedAddress | null {
  if (!isStunMessage(b) || ((b[0]! << 8) | b[1]!) !== BINDING_SUCCESS) return null;
  for (let i = 0; i < 12; i++) if (b[8 + i] !== transactionId[i]) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fallback: MappedAddress | null = null;
  let o = 20;
  while (o + 4 <= b.length) {
    const type = v.getUint16(o);
    const len = v.getUint16(o + 2);
    const start = o + 4;
    if (start + len > b.length) return null;
    if (
      (type === ATTR_XOR_MAPPED_ADDRESS || type === ATTR_MAPPED_ADDRESS) &&
      len >= 8 &&
      b[start + 1] === 0x01
    ) {
      const xor = type === ATTR_XOR_MAPPED_ADDRESS;
      const port = v.getUint16(start + 2) ^ (xor ? STUN_MAGIC >>> 16 : 0);
      const addr = (v.getUint32(start + 4) ^ (xor ? STUN_MAGIC : 0)) >>> 0;
      const found = {
        host: [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join("."),
        port,
      };
      if (xor) return found;
      fallback = found;
    }
    o = start + ((len + 3) & ~3);
  }
  return fallback;
}
