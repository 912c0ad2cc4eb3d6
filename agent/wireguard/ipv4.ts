/** Just enough IPv4 to route, trim and source-check inner packets. */

export const IPV4_HEADER_MIN = 20;

export function ipv4Version(packet: Uint8Array): number {
  return packet[0]! >>> 4;
}

export function ipv4TotalLength(packet: Uint8Array): number {
  return (packet[2]! << 8) | packet[3]!;
}

export function ipv4Source(packet: Uint8Array): number {
  return ((packet[12]! << 24) | (packet[13]! << 16) | (packet[14]! << 8) | packet[15]!) >>> 0;
}

export function ipv4Destination(packet: Uint8Array): number {
  return ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0;
}

/** Parses dotted-quad IPv4 strictly (no leading zeros ambiguity, each octet 0-255). */
export function parseIpv4(s: string): number | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
