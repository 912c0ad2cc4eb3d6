/**
 * WireGuard's four message layouts (whitepaper section 5.4). All integers are
 * little-endian; the three bytes after the type are reserved and must be zero.
 *
 *   initiation (1), 148 B: type:1 reserved:3 | sender:4 | ephemeral:32 | static:32+16 | timestamp:12+16 | mac1:16 | mac2:16
 *   response   (2),  92 B: type:1 reserved:3 | sender:4 | receiver:4 | ephemeral:32 | empty:0+16 | mac1:16 | mac2:16
 *   cookie     (3),  64 B: type:1 reserved:3 | receiver:4 | nonce:24 | cookie:16+16
 *   transport  (4), >=32 B: type:1 reserved:3 | receiver:4 | counter:8 | packet:n+16
 */
import type { DropReason } from "./actions.ts";

export const MESSAGE_INITIATION = 1;
export const MESSAGE_RESPONSE = 2;
export const MESSAGE_COOKIE_REPLY = 3;
export const MESSAGE_TRANSPORT = 4;
export type MessageType = 1 | 2 | 3 | 4;

export const INITIATION_SIZE = 148;
export const RESPONSE_SIZE = 92;
export const COOKIE_REPLY_SIZE = 64;
export const TRANSPORT_HEADER_SIZE = 16;
export const TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + 16;

/** Offsets inside the messages. */
export const INITIATION_NOISE_OFFSET = 8;
export const RESPONSE_RECEIVER_OFFSET = 8;
export const RESPONSE_NOISE_OFFSET = 12;
export const COOKIE_NONCE_OFFSET = 8;
export const COOKIE_BODY_OFFSET = 32;
export const TRANSPORT_COUNTER_OFFSET = 8;
export const MAC_LENGTH = 16;

/** Validates type, reserved bytes and length before anything else reads the datagram. */
export function classify(datagram: Uint8Array): MessageType | DropReason {
  if (datagram.length < 4) return "too-short";
  const type = datagram[0]!;
  if (type < MESSAGE_INITIATION || type > MESSAGE_TRANSPORT) return "unknown-type";
  if ((datagram[1]! | datagram[2]! | datagram[3]!) !== 0) return "reserved-nonzero";
  const n = datagram.length;
  switch (type) {
    case MESSAGE_INITIATION:
      return n === INITIATION_SIZE ? MESSAGE_INITIATION : "bad-length";
    case MESSAGE_RESPONSE:
      return n === RESPONSE_SIZE ? MESSAGE_RESPONSE : "bad-length";
    case MESSAGE_COOKIE_REPLY:
      return n === COOKIE_REPLY_SIZE ? MESSAGE_COOKIE_REPLY : "bad-length";
    default:
      return n >= TRANSPORT_MIN_SIZE ? MESSAGE_TRANSPORT : "bad-length";
  }
}

export function readU32(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, offset: number, v: number): void {
  b[offset] = v & 0xff;
  b[offset + 1] = (v >>> 8) & 0xff;
  b[offset + 2] = (v >>> 16) & 0xff;
  b[offset + 3] = v >>> 24;
}

/** Writes the 4-byte type+reserved header. */
export function writeHeader(b: Uint8Array, type: MessageType): void {
  b[0] = type;
  b[1] = 0;
  b[2] = 0;
  b[3] = 0;
}
