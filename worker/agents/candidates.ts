import { IPV4 } from "../../protocol/api.ts";

/**
 * Which direct-path candidates an agent may hand to its peers (issue #8). Peers dial what the
 * netmap lists, so a candidate pointing at the peer's own machine or network (loopback,
 * link-local such as the cloud metadata address 169.254.169.254, multicast, unspecified,
 * broadcast) would turn other agents into a proxy towards their own surroundings.
 *
 * Only IP literals are kept: an agent reports socket addresses, and a hostname would be
 * resolved by the peer's resolver, which may know internal names (metadata.google.internal).
 */

type Scope = "public" | "loopback" | "refused";

function ipv4Scope(ip: string): Scope {
  const [a = 0, b = 0] = ip.split(".").map(Number);
  if (a === 127) return "loopback";
  if (a === 0) return "refused"; // "this network", 0.0.0.0 included
  if (a === 169 && b === 254) return "refused"; // link-local, the metadata address included
  if (a >= 224) return "refused"; // multicast 224/4, reserved 240/4 and broadcast
  return "public";
}

/** The eight 16-bit groups of an IPv6 literal, or null when it is not one. */
export function ipv6Groups(text: string): number[] | null {
  const address = text.split("%")[0] ?? "";
  let tail: number[] = [];
  let body = address;
  const lastColon = address.lastIndexOf(":");
  const dotted = address.slice(lastColon + 1);
  if (dotted.includes(".")) {
    if (!IPV4.test(dotted)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
    tail = [(a << 8) | b, (c << 8) | d];
    body = `${address.slice(0, lastColon)}:0`;
    // "::a.b.c.d" leaves "::0" here, which the split below handles like any other "::".
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0] ?? "");
  const rest = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  let groups = [...head, ...rest].map((g) => Number.parseInt(g, 16));
  if (tail.length > 0) groups = groups.slice(0, -1);
  const given = groups.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const zeros = new Array<number>(8 - given).fill(0);
  const headGroups = head.map((g) => Number.parseInt(g, 16));
  const restGroups = groups.slice(headGroups.length);
  return halves.length === 2 ? [...headGroups, ...zeros, ...restGroups, ...tail] : [...groups, ...tail];
}

function ipv6Scope(text: string): Scope {
  const g = ipv6Groups(text);
  if (g === null) return "refused";
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const firstFive = g0 | g1 | g2 | g3 | g4;
  if (firstFive === 0 && g5 === 0xffff) return ipv4Scope(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`);
  if (firstFive === 0 && g5 === 0 && g6 === 0 && g7 === 1) return "loopback";
  if (firstFive === 0 && g5 === 0 && g6 === 0 && g7 === 0) return "refused"; // unspecified
  if ((g0 & 0xffc0) === 0xfe80) return "refused"; // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return "refused"; // multicast ff00::/8
  // AWS's IPv6 instance metadata address.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && (g2 | g3 | g4 | g5 | g6) === 0 && g7 === 0x254) return "refused";
  return "public";
}

/** The host part of "host:port" or "[v6]:port". */
function hostOf(endpoint: string): { host: string; v6: boolean } {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(endpoint);
  if (bracketed) return { host: bracketed[1] ?? "", v6: true };
  return { host: endpoint.slice(0, endpoint.lastIndexOf(":")), v6: false };
}

export function candidateScope(endpoint: string): Scope {
  const { host, v6 } = hostOf(endpoint);
  if (v6) return ipv6Scope(host);
  if (IPV4.test(host)) return ipv4Scope(host);
  return "refused";
}

/** Whether the address a request came from is loopback: then the agent runs next to the platform. */
export function isLoopbackSource(connectingIp: string | undefined): boolean {
  const ip = connectingIp?.trim() ?? "";
  if (IPV4.test(ip)) return ipv4Scope(ip) === "loopback";
  return ip.includes(":") && ipv6Scope(ip) === "loopback";
}

/**
 * The candidates peers may be given. Loopback is kept only for an agent that itself connects
 * from loopback: a local platform and agents on one machine (how the tests run) need it, and
 * there a loopback address means the same host to everyone.
 */
export function acceptableCandidates(
  endpoints: readonly string[],
  connectingIp: string | undefined,
): string[] {
  const loopbackOk = isLoopbackSource(connectingIp);
  return endpoints.filter((e) => {
    const scope = candidateScope(e);
    return scope === "public" || (scope === "loopback" && loopbackOk);
  });
}
