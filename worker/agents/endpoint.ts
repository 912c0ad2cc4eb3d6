import { IPV4, IPV6 } from "../../protocol/api.ts";

/**
 * "ip:port" for the address the platform saw a request come from (Cloudflare's
 * CF-Connecting-IP, which clients cannot forge in production) and the UDP port
 * the agent says it listens on. Behind a NAT that keeps the port
 * (endpoint-independent mapping) this is the one candidate a peer can reach.
 * Null when either half is missing or the address is not an IPv4 or IPv6 literal.
 */
export function observedEndpoint(connectingIp: string | undefined, port: number | undefined): string | null {
  if (!connectingIp || port === undefined) return null;
  const ip = connectingIp.trim();
  if (IPV4.test(ip)) return `${ip}:${port}`;
  if (ip.includes(":") && IPV6.test(ip)) return `[${ip}]:${port}`;
  return null;
}
