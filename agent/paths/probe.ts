import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../net/checksum.ts";
import { PROTO_UDP, parseIpv4, readUint32, writeIpv4Header } from "../net/ipv4.ts";

/**
 * Path probes: tiny UDP packets between two agents' mesh addresses, carried
 * INSIDE the WireGuard tunnel. Because they are tunnel packets, a probe reply
 * is an authenticated WireGuard packet on the path it arrived on: exactly the
 * proof the path manager needs, plus an RTT sample.
 *
 * The receiving agent answers on the same path the probe came in on, so each
 * path is measured on its own, whatever path the peer currently prefers.
 *
 * UDP payload (16 bytes):
 *   "TPRB" | kind u8 (1 ping, 2 pong) | path u8 (0 direct, 1 relay) | reserved u16 | seq u32 | sentAt u32 (ms, wraps)
 */

export const PROBE_PORT = 4;
const MAGIC = 0x54505242; // "TPRB"
const PAYLOAD = 16;
const UDP_HEADER = 8;
const IP_HEADER = 20;

export interface Probe {
  kind: "ping" | "pong";
  path: "direct" | "relay";
  seq: number;
  sentAt: number;
  src: number;
  dst: number;
}

export function buildProbePacket(p: Probe): Uint8Array {
  const total = IP_HEADER + UDP_HEADER + PAYLOAD;
  const buf = new Uint8Array(total);
  writeIpv4Header(buf, 0, {
    src: p.src,
    dst: p.dst,
    protocol: PROTO_UDP,
    payloadLength: UDP_HEADER + PAYLOAD,
  });
  const v = new DataView(buf.buffer);
  const u = IP_HEADER;
  v.setUint16(u, PROBE_PORT);
  v.setUint16(u + 2, PROBE_PORT);
  v.setUint16(u + 4, UDP_HEADER + PAYLOAD);
  v.setUint16(u + 6, 0);
  const d = u + UDP_HEADER;
  v.setUint32(d, MAGIC);
  v.setUint8(d + 4, p.kind === "ping" ? 1 : 2);
  v.setUint8(d + 5, p.path === "direct" ? 0 : 1);
  v.setUint16(d + 6, 0);
  v.setUint32(d + 8, p.seq >>> 0);
  v.setUint32(d + 12, p.sentAt >>> 0);
  const sum = onesComplementSum(
    buf,
    u,
    total,
    pseudoHeaderSum(p.src, p.dst, PROTO_UDP, UDP_HEADER + PAYLOAD),
  );
  const c = finishChecksum(sum);
  v.setUint16(u + 6, c === 0 ? 0xffff : c);
  return buf;
}

/** The probe in `packet` (an inner IPv4 packet), or null if it is ordinary traffic. Cheap on the non-probe path. */
export function parseProbePacket(packet: Uint8Array): Probe | null {
  if (packet.length !== IP_HEADER + UDP_HEADER + PAYLOAD || packet[9] !== PROTO_UDP) return null;
  const h = parseIpv4(packet);
  if (!h || h.headerLength !== IP_HEADER) return null;
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (v.getUint16(IP_HEADER + 2) !== PROBE_PORT || readUint32(packet, IP_HEADER + UDP_HEADER) !== MAGIC)
    return null;
  const d = IP_HEADER + UDP_HEADER;
  const kind = v.getUint8(d + 4);
  const path = v.getUint8(d + 5);
  if ((kind !== 1 && kind !== 2) || (path !== 0 && path !== 1)) return null;
  return {
    kind: kind === 1 ? "ping" : "pong",
    path: path === 0 ? "direct" : "relay",
    seq: v.getUint32(d + 8),
    sentAt: v.getUint32(d + 12),
    src: h.src,
    dst: h.dst,
  };
}
