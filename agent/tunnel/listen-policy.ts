/**
 * Where agent values may open a `forward` listener. Values come from the
 * platform, so an admin of the platform (or anyone who can write a cluster's
 * annotation) would otherwise decide which of this host's interfaces serve a
 * peer's exposed services, unauthenticated, to whole networks. Loopback is
 * always allowed; anything else only inside the CIDRs the host's own operator
 * gave with `--allow-forward-listen`. `tether agent forward --listen` is that
 * operator at the local socket, so it is not limited here.
 */
import { type Cidr, cidrContains, ipFromString, parseCidr } from "../net/ipv4.ts";

const LOOPBACK = parseCidr("127.0.0.0/8");

/** Parses the flag's comma-separated CIDRs; throws with the bad entry named. */
export function parseListenAllowList(text: string): Cidr[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return parseCidr(s);
      } catch {
        throw new Error(
          `--allow-forward-listen takes IPv4 CIDRs such as 10.0.0.0/8 or 0.0.0.0/0, got "${s}"`,
        );
      }
    });
}

/**
 * Whether values may listen on `host`. The wildcard 0.0.0.0 is inside 0.0.0.0/0 only: listening on
 * every interface needs that to be allowed in so many words.
 */
export function valuesMayListenOn(host: string, allowed: readonly Cidr[]): boolean {
  let ip: number;
  try {
    ip = ipFromString(host);
  } catch {
    return false;
  }
  if (ip !== 0 && cidrContains(LOOPBACK, ip)) return true;
  return allowed.some((c) => (ip === 0 ? c.prefixLength === 0 : cidrContains(c, ip)));
}
