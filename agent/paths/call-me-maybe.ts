import { ipFromString, ipToString } from "../net/ipv4.ts";
import type { Endpoint } from "../wireguard/actions.ts";
import { buildControlPacket, parseControlPacket } from "./control-packet.ts";

/**
 * "Call me maybe": an agent tells a peer, inside the tunnel (usually over the
 * relay, before any direct path exists), which UDP endpoints it can be reached
 * at right now, and that it is probing the peer's endpoints at this moment.
 * The peer starts probing back at once. Both sides sending at the same time is
 * what opens a hole through two NATs: each side's outgoing probe creates the
 * mapping that lets the other side's probe in.
 *
 * This is faster and fresher than the netmap: a STUN answer or a network change
 * reaches the peer in one relay round trip instead of two heartbeats.
 *
 * UDP payload:
 *   "TCMM" | count u8 | reserved 3 B | count x (IPv4 address u32 | port u16)
 */

const MAGIC = 0x54434d4d; // "TCMM"
const HEADER = 8;
const ENTRY = 6;
/** More candidates than this is a sign of garbage; a real agent has a handful. */
export const MAX_ANNOUNCED_ENDPOINTS = 16;

export interface CallMeMaybe {
  src: number;
  dst: number;
  endpoints: Endpoint[];
}

export function buildCallMeMaybe(src: number, dst: number, endpoints: readonly Endpoint[]): Uint8Array {
  const list = endpoints.filter((e) => ipv4(e.host) !== null).slice(0, MAX_ANNOUNCED_ENDPOINTS);
  const payload = new Uint8Array(HEADER + list.length * ENTRY);
  const v = new DataView(payload.buffer);
  v.setUint32(0, MAGIC);
  v.setUint8(4, list.length);
  list.forEach((e, i) => {
    v.setUint32(HEADER + i * ENTRY, ipv4(e.host)!);
    v.setUint16(HEADER + i * ENTRY + 4, e.port);
  });
  return buildControlPacket(src, dst, payload);
}

/** The announcement in `packet`, or null for anything else (including malformed announcements). */
export function parseCallMeMaybe(packet: Uint8Array): CallMeMaybe | null {
  const c = parseControlPacket(packet, MAGIC);
  if (!c || c.payload.length < HEADER) return null;
  const v = new DataView(c.payload.buffer, c.payload.byteOffset, c.payload.length);
  const count = v.getUint8(4);
  if (count > MAX_ANNOUNCED_ENDPOINTS || c.payload.length !== HEADER + count * ENTRY) return null;
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < count; i++) {
    const ip = v.getUint32(HEADER + i * ENTRY);
    const port = v.getUint16(HEADER + i * ENTRY + 4);
    if (port === 0 || ip === 0) return null;
    endpoints.push({ host: ipToString(ip), port });
  }
  return { src: c.src, dst: c.dst, endpoints };
}

function ipv4(host: string): number | null {
  try {
    return ipFromString(host);
  } catch {
    return null; // a name or IPv6: not announceable in this format
  }
}
