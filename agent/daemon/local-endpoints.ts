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
      if (a.address.startsWith("169.254.") || a.address.startsWith("100.64.")) continue;
      (a.internal ? loop : out).push(`${a.address}:${port}`);
    }
  }
  return [...new Set([...out, ...loop])];
}

/** "host:port" → endpoint, or null for anything malformed (netmap input is not trusted blindly). */
export function parseEndpoint(s: string): { host: string; port: number } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535 || m[1]!.split(".").some((o) => Number(o) > 255)) return null;
  return { host: m[1]!, port };
}
