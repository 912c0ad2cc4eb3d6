/**
 * Which direct candidates for a peer the agent will send to. Candidates come
 * from the platform's netmap and from the peer itself (call-me-maybe), and the
 * agent must not trust either for where its packets go: a hostile or mistaken
 * entry could point its probes and handshakes at the cloud metadata service
 * (169.254.169.254), at services on this host's loopback, or at a multicast
 * group. So these are refused whatever the platform says:
 *
 * - unspecified (0.0.0.0/8), link-local (169.254.0.0/16), multicast and the
 *   reserved range above it (224.0.0.0/3 less nothing we need), broadcast;
 * - loopback (127.0.0.0/8), unless this agent offers loopback candidates itself
 *   (`--advertise 127.0.0.1`: every agent runs on this one host, as in local
 *   tests), since only then can a peer really be reached there.
 *
 * The platform refuses the same candidates when agents report them; this is
 * the agent not relying on that.
 */
import { cidrContains, ipFromString, parseCidr } from "../net/ipv4.ts";
import type { Endpoint } from "../wireguard/actions.ts";
import { parseEndpoint } from "./local-endpoints.ts";

const NEVER = ["0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3"].map(parseCidr);
const LOOPBACK = parseCidr("127.0.0.0/8");

function isLoopback(host: string): boolean {
  try {
    return cidrContains(LOOPBACK, ipFromString(host));
  } catch {
    return false;
  }
}

/** Whether we may send to `e`; `ourEndpoints` are the candidates this agent offers ("host:port"). */
export function mayUseCandidate(e: Endpoint, ourEndpoints: readonly string[]): boolean {
  let ip: number;
  try {
    ip = ipFromString(e.host);
  } catch {
    return false;
  }
  if (NEVER.some((c) => cidrContains(c, ip))) return false;
  if (cidrContains(LOOPBACK, ip)) return ourEndpoints.some((s) => isLoopback(s.slice(0, s.lastIndexOf(":"))));
  return true;
}

/** The usable candidates out of "host:port" strings, in order. */
export function usableCandidates(endpoints: readonly string[], ourEndpoints: readonly string[]): Endpoint[] {
  return endpoints
    .map(parseEndpoint)
    .filter((e): e is Endpoint => e !== null && mayUseCandidate(e, ourEndpoints));
}
