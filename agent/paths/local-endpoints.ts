import { networkInterfaces } from "node:os";

/**
 * This host's own addresses, as direct-path candidates for peers: on a flat
 * network (same VPC, same host) they work with no NAT traversal at all.
 * Loopback is included last so that two agents on one machine find each
 * other; a remote peer that tries it only reaches its own host and drops the
 * datagram (wrong keys), which costs nothing.
 */
export function localEndpoints(port: number, interfaces = networkInterfaces()): string[] {
  const out: string[] = [];
  const loop: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.family !== "IPv4") continue;
      if (a.address.startsWith("169.254.") || inMeshRange(a.address)) continue;
      (a.internal ? loop : out).push(`${a.address}:${port}`);
    }
  }
  return [...new Set([...out, ...loop])];
}

/**
 * Every IPv4 address on this host's interfaces, sorted: a change in this
 * string means the network changed under us (an address came or went).
 */
export function localAddressesKey(interfaces = networkInterfaces()): string {
  const out: string[] = [];
  for (const [name, list] of Object.entries(interfaces)) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(`${name}=${a.address}`);
  }
  return out.sort().join(",");
}

/** 100.64.0.0/10 is the mesh (and carrier-grade NAT) range: never a useful direct candidate. */
function inMeshRange(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number);
  return a === 100 && b !== undefined && b >= 64 && b <= 127;
}

/** "host:port" → endpoint, or null for anything malformed (netmap input is not trusted blindly). */
export function parseEndpoint(s: string): { host: string; port: number } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535 || m[1]!.split(".").some((o) => Number(o) > 255)) return null;
  return { host: m[1]!, port };
}
