// 100.64.0.0/10 (RFC 6598 shared address space): 2^22 addresses.
const MESH_BASE = (100 << 24) | (64 << 16);
const MESH_SIZE = 1 << 22;

/**
 * A random address in the mesh prefix whose last octet is neither 0 nor 255, so no
 * tool mistakes it for a network or broadcast address in a /24 view. Uniqueness is
 * the database's job (UNIQUE constraint plus retry), not this function's.
 */
export function randomMeshIp(random: () => number = randomUint32): string {
  for (;;) {
    const offset = random() % MESH_SIZE;
    const last = offset & 0xff;
    if (last !== 0 && last !== 255) return formatIpv4((MESH_BASE + offset) >>> 0);
  }
}

export function isMeshIp(ip: string): boolean {
  const value = parseIpv4(ip);
  return value !== null && value >>> 22 === MESH_BASE >>> 22;
}

function randomUint32(): number {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0] ?? 0;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

function parseIpv4(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}
