import { buildControlPacket, CONTROL_PORT, parseControlPacket } from "./control-packet.ts";

/**
 * Path probes: control packets (see control-packet.ts) inside the WireGuard
 * tunnel. Because they are tunnel packets, a probe reply is an authenticated
 * WireGuard packet on the path it arrived on: exactly the proof the path
 * manager needs, plus an RTT sample.
 *
 * The receiving agent answers on the same path the probe came in on, so each
 * path is measured on its own, whatever path the peer currently prefers.
 *
 * UDP payload (16 bytes):
 *   "TPRB" | kind u8 (1 ping, 2 pong) | path u8 (0 direct, 1 relay) | reserved u16 | seq u32 | sentAt u32 (ms, wraps)
 */

export const PROBE_PORT = CONTROL_PORT;
const MAGIC = 0x54505242; // "TPRB"
const PAYLOAD = 16;

export interface Probe {
  kind: "ping" | "pong";
  path: "direct" | "relay";
  seq: number;
  sentAt: number;
  src: number;
  dst: number;
}

export function buildProbePacket(p: Probe): Uint8Array {
  const payload = new Uint8Array(PAYLOAD);
  const v = new DataView(payload.buffer);
  v.setUint32(0, MAGIC);
  v.setUint8(4, p.kind === "ping" ? 1 : 2);
  v.setUint8(5, p.path === "direct" ? 0 : 1);
  v.setUint32(8, p.seq >>> 0);
  v.setUint32(12, p.sentAt >>> 0);
  return buildControlPacket(p.src, p.dst, payload);
}

/** The probe in `packet` (an inner IPv4 packet), or null if it is ordinary traffic. Cheap on the non-probe path. */
export function parseProbePacket(packet: Uint8Array): Probe | null {
  const c = parseControlPacket(packet, MAGIC);
  if (!c || c.payload.length !== PAYLOAD) return null;
  const v = new DataView(c.payload.buffer, c.payload.byteOffset, PAYLOAD);
  const kind = v.getUint8(4);
  const path = v.getUint8(5);
  if ((kind !== 1 && kind !== 2) || (path !== 0 && path !== 1)) return null;
  return {
    kind: kind === 1 ? "ping" : "pong",
    path: path === 0 ? "direct" : "relay",
    seq: v.getUint32(8),
    sentAt: v.getUint32(12),
    src: c.src,
    dst: c.dst,
  };
}
