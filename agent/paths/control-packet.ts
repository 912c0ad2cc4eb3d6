import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../net/checksum.ts";
import { PROTO_UDP, parseIpv4, readUint32, writeIpv4Header } from "../net/ipv4.ts";

/**
 * Agent-to-agent control messages (path probes, endpoint announcements) are
 * tiny UDP packets between the two agents' mesh addresses on port 4, carried
 * INSIDE the WireGuard tunnel. Riding the tunnel is the point: what arrives is
 * authenticated by WireGuard, so a control message can be trusted as much as
 * the peer's key, and a reply proves the path it came in on.
 *
 * Every payload starts with a 4-byte magic that names the message.
 */

export const CONTROL_PORT = 4;
const UDP_HEADER = 8;
const IP_HEADER = 20;

/** An IPv4/UDP packet from `src` to `dst`, port 4 both ways, carrying `payload`. */
export function buildControlPacket(src: number, dst: number, payload: Uint8Array): Uint8Array {
  const udpLength = UDP_HEADER + payload.length;
  const total = IP_HEADER + udpLength;
  const buf = new Uint8Array(total);
  writeIpv4Header(buf, 0, { src, dst, protocol: PROTO_UDP, payloadLength: udpLength });
  const u = IP_HEADER;
  buf[u] = CONTROL_PORT >>> 8;
  buf[u + 1] = CONTROL_PORT & 0xff;
  buf[u + 2] = CONTROL_PORT >>> 8;
  buf[u + 3] = CONTROL_PORT & 0xff;
  buf[u + 4] = udpLength >>> 8;
  buf[u + 5] = udpLength & 0xff;
  buf.set(payload, u + UDP_HEADER);
  const c = finishChecksum(onesComplementSum(buf, u, total, pseudoHeaderSum(src, dst, PROTO_UDP, udpLength)));
  const sum = c === 0 ? 0xffff : c;
  buf[u + 6] = sum >>> 8;
  buf[u + 7] = sum & 0xff;
  return buf;
}

export interface ControlPacket {
  src: number;
  dst: number;
  /** A view into the packet: the UDP payload. */
  payload: Uint8Array;
}

/**
 * The control message in `packet` (an inner IPv4 packet) if it is one with
 * `magic`, else null. Cheap on ordinary traffic: protocol, port and magic are
 * checked before anything is parsed.
 */
export function parseControlPacket(packet: Uint8Array, magic: number): ControlPacket | null {
  if (packet.length < IP_HEADER + UDP_HEADER + 4 || packet[9] !== PROTO_UDP) return null;
  if (((packet[IP_HEADER + 2]! << 8) | packet[IP_HEADER + 3]!) !== CONTROL_PORT) return null;
  if (readUint32(packet, IP_HEADER + UDP_HEADER) !== magic) return null;
  const h = parseIpv4(packet);
  if (!h || h.headerLength !== IP_HEADER) return null;
  const udpLength = (packet[IP_HEADER + 4]! << 8) | packet[IP_HEADER + 5]!;
  if (udpLength < UDP_HEADER || IP_HEADER + udpLength > h.totalLength) return null;
  return {
    src: h.src,
    dst: h.dst,
    payload: packet.subarray(IP_HEADER + UDP_HEADER, IP_HEADER + udpLength),
  };
}
