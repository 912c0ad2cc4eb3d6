import { z } from "zod";

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
// Loose on purpose: the agent reports what its sockets say; we only need it to be one host and one port.
export const IPV6 = /^[0-9a-fA-F:.]{2,45}(%[\w.-]{1,32})?$/;

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

/** An agent's direct candidate address, as it reports them and as netmaps carry them. */
export const Endpoint = z
  .string()
  .max(80)
  .refine(isEndpoint, { message: 'must be "host:port" or "[ipv6]:port"' });
