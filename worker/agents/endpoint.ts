import { z } from "zod";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
// Loose on purpose: the agent reports what its sockets say; we only need it to be one host and one port.
const IPV6 = /^[0-9a-fA-F:.]{2,45}(%[\w.-]{1,32})?$/;

/** "host:port" with an IPv4 address or hostname, or "[ipv6]:port"; port 1..65535. */
export function isEndpoint(text: string): boolean {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return false;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return false;
  if (match[1] !== undefined) return IPV6.test(match[1]) && match[1].includes(":");
  const host = match[2] ?? "";
  return IPV4.test(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
}

export const endpointSchema = z
  .string()
  .max(80)
  .refine(isEndpoint, { message: 'must be "host:port" or "[ipv6]:port"' });

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
