/**
 * A small internet in network namespaces, for the NAT-traversal system tests:
 *
 *                     test process (root namespace)
 *                          | 198.18.255.1/30 (only route: 198.18.0.1/32)
 *   "inet" ---------------- 198.18.255.2/30
 *     lo 198.18.0.1: the platform (`tether dev`, workerd + local D1) and a STUN server
 *     198.18.1.1/24 ---- 198.18.1.2 router "ra" (NAT) 192.168.1.1 ---- 192.168.1.2 site "sa"
 *     198.18.2.1/24 ---- 198.18.2.2 router "rb" (NAT) 192.168.1.1 ---- 192.168.1.2 site "sb"
 *
 * Both sites use the same private range on purpose, as real sites often do:
 * an agent that dials a peer's LAN candidate reaches nothing (or itself).
 * Each router masquerades its site behind its one public address and, like a
 * home router, forwards from the internet only what belongs to a connection
 * the site opened (conntrack: address- and port-dependent filtering).
 *
 * Knobs: the NAT kind per router ("eim" keeps one mapping per inside socket,
 * which Linux's MASQUERADE does by preserving the source port; "symmetric"
 * gives every destination its own random port via `--random-fully`), UDP
 * blocked at a router, the router's UDP conntrack timeout (how fast an idle
 * mapping dies), and delay on a site's link (delayLink: this kernel has no
 * `tc netem`, so link-delay.py makes the delay in user space, between two TUN
 * devices that policy routing in "inet" puts in the link's path; see
 * startLinkDelay). Loss is the tests' own iptables `statistic` rule on
 * FORWARD -i/-o Site.inetIf in "inet".
 *
 * Nothing is routed out: "inet" has no default route, the routers' default
 * route points at "inet", and the root namespace only gains a /32 route to
 * the platform address over the lab's own veth. cleanup() (also run on exit
 * and signals by NetnsLab) deletes every namespace, which removes the veths
 * and that route with them.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type AgentProcess, type AgentProcessOptions, startAgent } from "../helpers/agent-process.ts";
import { JsonLinesChild, type JsonObject } from "../helpers/json-lines.ts";
import { type Netns, NetnsLab, stopChild } from "../helpers/netns.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { REPO_ROOT } from "../helpers/topology.ts";

const execFileAsync = promisify(execFile);

export const PLATFORM_IP = "198.18.0.1";
export const STUN_PORT = 3478;
export const SITE_IP = "192.168.1.2";
const ROUTER_LAN_IP = "192.168.1.1";

export type NatKind = "eim" | "symmetric";
export type SiteName = "a" | "b";
const SITE_NUMBER: Record<SiteName, number> = { a: 1, b: 2 };

/** What link-delay.py forwarded (packets), by direction; dropped: queue full or write failed. */
export interface LinkDelayCounters {
  /** From the site's router toward the rest of the lab (the tool's aToB). */
  fromSite: number;
  /** From the rest of the lab toward the site's router (the tool's bToA). */
  toSite: number;
  dropped: number;
  /** Still held when the counters were taken (discarded if the tool was stopping). */
  pending: number;
}

export interface Site {
  readonly name: SiteName;
  /** Where the site's agent and services run. */
  readonly ns: Netns;
  readonly router: Netns;
  /** The router's public address: what STUN and the platform see for this site. */
  readonly publicIp: string;
  /** The interface in "inet" that faces this site's router (where link impairment goes). */
  readonly inetIf: string;
  /** The router's interface toward "inet". */
  readonly wanIf: string;
  /** The site's own interface toward its router, and its address there (renumberSite changes it). */
  readonly lanIf: string;
  ip: string;
  nat: NatKind;
}

export interface NatLab {
  readonly lab: NetnsLab;
  readonly inet: Netns;
  readonly sites: Record<SiteName, Site>;
  readonly platform: Platform;
  readonly stunServer: string;
  /** Swaps the router's masquerade rule; new mappings follow it (existing ones keep theirs). */
  setNat(site: SiteName, kind: NatKind): Promise<void>;
  /** Drops all UDP through the site's router, both ways, as a strict firewall would. */
  blockUdp(site: SiteName, blocked: boolean): Promise<void>;
  /**
   * Moves the site to another address on its LAN (as a laptop moving networks, or a DHCP
   * renumbering would): every NAT mapping and TCP connection made from the old address is dead,
   * and new ones get new mappings. Running processes keep their sockets.
   */
  renumberSite(site: SiteName, ip: string): Promise<void>;
  /**
   * Delays every packet between the site's router and the rest of the lab (platform, STUN, the
   * other site; UDP, TCP, ICMP) by delayMs in each direction, so a round trip gains 2 * delayMs.
   * A new value replaces the old one; null removes the delay.
   */
  delayLink(site: SiteName, delayMs: number | null): Promise<void>;
  /** The delay element's counters: live while it runs, its final ones after delayLink(site, null). */
  linkDelayCounters(site: SiteName): Promise<LinkDelayCounters>;
  /** An admin API call to the platform from the test process. */
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** `tether agent up` inside a site, offering its interface addresses (no --advertise). */
  startAgent(site: SiteName, opts: Omit<AgentProcessOptions, "platform" | "netns">): Promise<AgentProcess>;
  cleanup(): Promise<void>;
}

export interface NatLabOptions {
  nat?: Partial<Record<SiteName, NatKind>>;
  /**
   * UDP conntrack timeouts on both routers, in seconds (unreplied and assured):
   * how long an idle mapping lives. Linux defaults to 30 and 120.
   */
  udpTimeoutSeconds?: number;
}

export async function buildNatLab(opts: NatLabOptions = {}): Promise<NatLab> {
  const lab = new NetnsLab();
  const agents: AgentProcess[] = [];
  const delays = new Map<SiteName, LinkDelay>();
  const finalDelayCounters = new Map<SiteName, LinkDelayCounters>();
  let platform: Platform | null = null;
  /** Stops a site's delay element (rules first, so the link works again at once); keeps its counters. */
  const removeDelay = async (name: SiteName) => {
    const d = delays.get(name);
    if (!d) return;
    delays.delete(name);
    const counters = await stopLinkDelay(d);
    if (counters) finalDelayCounters.set(name, counters);
  };
  const removeAllDelays = async () => {
    for (const name of [...delays.keys()]) await removeDelay(name).catch(() => {});
  };
  try {
    const inet = await lab.createNamespace("inet");
    await inet.run("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    await inet.run("ip", ["addr", "add", `${PLATFORM_IP}/32`, "dev", "lo"]);

    // The test process reaches the platform over this veth, and nothing else.
    const rootIf = lab.ifname("rt");
    const inetRootIf = lab.ifname("ri");
    await run("ip", ["link", "add", rootIf, "type", "veth", "peer", "name", inetRootIf, "netns", inet.name]);
    await run("ip", ["addr", "add", "198.18.255.1/30", "dev", rootIf]);
    await run("ip", ["link", "set", rootIf, "up"]);
    await inet.run("ip", ["addr", "add", "198.18.255.2/30", "dev", inetRootIf]);
    await inet.run("ip", ["link", "set", inetRootIf, "up"]);
    // replace, not add: a lab that just ended may still hold the old route while the kernel
    // finishes tearing its namespaces down (tens of seconds on this kernel).
    await run("ip", ["route", "replace", `${PLATFORM_IP}/32`, "via", "198.18.255.2", "dev", rootIf]);

    const sites = {} as Record<SiteName, Site>;
    for (const [i, name] of (["a", "b"] as const).entries()) {
      const n = i + 1;
      const router = await lab.createNamespace(`r${name}`);
      const ns = await lab.createNamespace(`s${name}`);
      const wan = await lab.connect(inet, `198.18.${n}.1/24`, router, `198.18.${n}.2/24`);
      const lan = await lab.connect(router, `${ROUTER_LAN_IP}/24`, ns, `${SITE_IP}/24`);
      // Deleting the first address of a subnet would delete the others with it; renumberSite needs
      // the new one to stay (it is added before the old one goes).
      await ns.run("sysctl", ["-qw", `net.ipv4.conf.${lan.ifB}.promote_secondaries=1`]);
      await router.run("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
      await router.run("ip", ["route", "add", "default", "via", `198.18.${n}.1`]);
      await ns.run("ip", ["route", "add", "default", "via", ROUTER_LAN_IP]);
      // A home router's firewall: from the internet, only replies to what the site opened.
      await router.run("iptables", [
        "-A",
        "FORWARD",
        "-i",
        wan.ifB,
        "-m",
        "conntrack",
        "--ctstate",
        "ESTABLISHED,RELATED",
        "-j",
        "ACCEPT",
      ]);
      await router.run("iptables", ["-A", "FORWARD", "-i", wan.ifB, "-j", "DROP"]);
      // Unsolicited packets to the router itself are dropped too. Accepted, they would leave a
      // conntrack entry on the router's public address and port, and the site's own mapping for
      // that port (opened a moment later by hole punching) would be moved to another port.
      await router.run("iptables", [
        "-A",
        "INPUT",
        "-i",
        wan.ifB,
        "-m",
        "conntrack",
        "--ctstate",
        "ESTABLISHED,RELATED",
        "-j",
        "ACCEPT",
      ]);
      await router.run("iptables", ["-A", "INPUT", "-i", wan.ifB, "-j", "DROP"]);
      if (opts.udpTimeoutSeconds !== undefined) {
        // Conntrack's tables are per namespace once the first rule above loaded them.
        const t = String(opts.udpTimeoutSeconds);
        await router.run("sysctl", ["-qw", `net.netfilter.nf_conntrack_udp_timeout=${t}`]);
        await router.run("sysctl", ["-qw", `net.netfilter.nf_conntrack_udp_timeout_stream=${t}`]);
      }
      const site: Site = {
        name,
        ns,
        router,
        publicIp: `198.18.${n}.2`,
        inetIf: wan.ifA,
        wanIf: wan.ifB,
        lanIf: lan.ifB,
        ip: SITE_IP,
        nat: opts.nat?.[name] ?? "eim",
      };
      await router.run("iptables", ["-t", "nat", "-A", "POSTROUTING", ...masquerade(site, site.nat)]);
      sites[name] = site;
    }

    const stun = new JsonLinesChild(
      inet.spawn(
        "node",
        ["--import", "tsx", `${REPO_ROOT}/test/system/stun-responder.ts`, PLATFORM_IP, String(STUN_PORT)],
        {
          cwd: REPO_ROOT,
        },
      ),
    );
    await stun.waitFor((o) => o.event === "ready", "STUN responder", 30_000);

    platform = await startPlatform({ netns: { name: inet.name, host: PLATFORM_IP } });
    const p = platform;
    const api = async <T>(method: string, path: string, body?: unknown) => {
      const isText = typeof body === "string";
      const res = await fetch(`${p.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${p.adminKey}`,
          "content-type": isText ? "application/yaml" : "application/json",
        },
        body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed as T };
    };
    const stunServer = `${PLATFORM_IP}:${STUN_PORT}`;
    const cfg = await api("PUT", "/api/v1/config", `agentValues:\n  stunServers: ["${stunServer}"]\n`);
    if (cfg.status !== 200)
      throw new Error(`setting agentValues failed: ${cfg.status} ${JSON.stringify(cfg.body)}`);

    return {
      lab,
      inet,
      sites,
      platform: p,
      stunServer,
      api,
      async setNat(name, kind) {
        const site = sites[name];
        await site.router.run("iptables", ["-t", "nat", "-D", "POSTROUTING", ...masquerade(site, site.nat)]);
        site.nat = kind;
        await site.router.run("iptables", ["-t", "nat", "-A", "POSTROUTING", ...masquerade(site, kind)]);
      },
      async blockUdp(name, blocked) {
        await sites[name].router.run("iptables", [
          blocked ? "-I" : "-D",
          "FORWARD",
          "-p",
          "udp",
          "-j",
          "DROP",
        ]);
      },
      async renumberSite(name, ip) {
        const site = sites[name];
        await site.ns.run("ip", ["addr", "add", `${ip}/24`, "dev", site.lanIf]);
        await site.ns.run("ip", ["addr", "del", `${site.ip}/24`, "dev", site.lanIf]);
        await site.ns.run("ip", ["route", "replace", "default", "via", ROUTER_LAN_IP]);
        site.ip = ip;
      },
      async delayLink(name, delayMs) {
        await removeDelay(name);
        if (delayMs === null) return;
        try {
          // Registered as soon as it is spawned, so cleanup() stops it even while it is being set up.
          await startLinkDelay(lab, inet, sites[name], delayMs, (d) => delays.set(name, d));
        } catch (err) {
          // startLinkDelay has already undone its part.
          delays.delete(name);
          throw err;
        }
      },
      async linkDelayCounters(name) {
        const d = delays.get(name);
        if (d) {
          const from = d.tool.received.length;
          const next = d.tool.waitFor((o) => o.event === "counters", "link-delay counters", 5_000, from);
          d.tool.child.kill("SIGUSR1");
          return toLinkDelayCounters(await next);
        }
        const last = finalDelayCounters.get(name);
        if (!last) throw new Error(`site ${name} has had no link delay`);
        return last;
      },
      async startAgent(name, agentOpts) {
        const a = await startAgent({
          ...agentOpts,
          platform: p.url,
          netns: sites[name].ns.name,
          advertise: null,
        });
        agents.push(a);
        return a;
      },
      async cleanup() {
        await removeAllDelays();
        await Promise.all(agents.map((a) => a.stop(true).catch(() => {})));
        await p.stop().catch(() => {});
        await lab.cleanup();
      },
    };
  } catch (err) {
    await removeAllDelays();
    await Promise.all(agents.map((a) => a.stop(true).catch(() => {})));
    await platform?.stop().catch(() => {});
    await lab.cleanup();
    throw err;
  }
}

interface LinkDelay {
  readonly inet: Netns;
  readonly tool: JsonLinesChild;
  /** `ip rule` arguments added so far, to delete in reverse order. */
  readonly rules: string[][];
  readonly tables: string[];
}

/** Priority of the "lookup local" rule once a delay has moved it from 0 (see startLinkDelay). */
const LOCAL_RULE_PREF = "2000";

/**
 * Puts link-delay.py in the path between "inet" and a site's router. Its two TUN devices are the
 * ends of a wire: "ds<site>" toward the site, "di<site>" toward the rest of the lab; what the
 * kernel sends out of one comes back in on the other, delayMs later. Policy rules in "inet"
 * (N = 1 for site a, 2 for site b):
 *
 *   1000+10N  iif inetIf to 198.18.N.1  lookup local   ARP and inet's own address on the link
 *   1001+10N  iif inetIf                lookup 100+N   default dev ds: from the site into the tool
 *   1002+10N  iif ds                    lookup main    out of the tool toward the site: via inetIf
 *   2000                                lookup local   moved from priority 0, or packets from the
 *                                                      site to the platform and STUN addresses (on
 *                                                      lo) would be delivered before rule 1001+10N
 *   3000+N    to 198.18.N.0/24          lookup 200+N   default dev di: to the site from anywhere
 *                                                      else (the other site, or sent by "inet"
 *                                                      itself: platform, STUN) into the tool
 *
 * Packets out of "di" (from the site) follow the rules from there: delivered locally, or to the
 * other site (through its own delay if it has one). Packets still enter and leave "inet" through
 * inetIf, so FORWARD -i/-o inetIf rules (the tests' loss) see both directions; with the delay on
 * they also see the site's traffic with the platform and STUN, which is now forwarded through the
 * tool rather than delivered to or sent from "inet" directly.
 *
 * Also needed: rp_filter off; accept_local on the TUNs (the platform's replies come back in with
 * a local source address); TCP and UDP early demux off in "inet": it ties a packet from the site
 * to the platform's socket before routing decides to forward it into the tool, and ip_forward
 * drops packets that have a socket. IPv6 is off on the TUNs, so the counters are the lab's traffic.
 * Those sysctls and the moved local rule stay after the delay is removed; they change nothing then.
 */
async function startLinkDelay(
  lab: NetnsLab,
  inet: Netns,
  site: Site,
  delayMs: number,
  onSpawn: (d: LinkDelay) => void,
): Promise<LinkDelay> {
  if (!(delayMs >= 0)) throw new Error(`bad delay ${delayMs}`);
  const n = SITE_NUMBER[site.name];
  const towardSite = lab.ifname(`ds${site.name}`);
  const towardInet = lab.ifname(`di${site.name}`);
  const tool = new JsonLinesChild(
    inet.spawn("python3", [
      `${REPO_ROOT}/test/system/link-delay.py`,
      "--a",
      towardSite,
      "--b",
      towardInet,
      "--delay-ms",
      String(delayMs),
    ]),
  );
  const d: LinkDelay = { inet, tool, rules: [], tables: [] };
  // The caller can stop it from now on (cleanup), even if the rest fails.
  onSpawn(d);
  try {
    await tool.waitFor((o) => o.event === "ready", "link-delay ready", 10_000);
    await inet.run("sysctl", [
      "-qw",
      "net.ipv4.conf.all.rp_filter=0",
      "net.ipv4.conf.default.rp_filter=0",
      `net.ipv4.conf.${site.inetIf}.rp_filter=0`,
      "net.ipv4.tcp_early_demux=0",
      "net.ipv4.udp_early_demux=0",
    ]);
    for (const dev of [towardSite, towardInet]) {
      await inet.run("sysctl", [
        "-qw",
        `net.ipv6.conf.${dev}.disable_ipv6=1`,
        `net.ipv4.conf.${dev}.rp_filter=0`,
        `net.ipv4.conf.${dev}.accept_local=1`,
      ]);
      await inet.run("ip", ["link", "set", dev, "up"]);
    }
    const rules = await inet.run("ip", ["rule", "show"]);
    if (!new RegExp(`^${LOCAL_RULE_PREF}:\\s.*lookup local`, "m").test(rules)) {
      await inet.run("ip", ["rule", "add", "pref", LOCAL_RULE_PREF, "lookup", "local"]);
      await inet.run("ip", ["rule", "del", "pref", "0", "lookup", "local"]);
    }
    const up = String(100 + n);
    const down = String(200 + n);
    for (const [table, dev] of [
      [up, towardSite],
      [down, towardInet],
    ] as const) {
      d.tables.push(table);
      await inet.run("ip", ["route", "add", "default", "dev", dev, "table", table]);
    }
    const base = 1000 + 10 * n;
    for (const rule of [
      ["pref", String(base), "iif", site.inetIf, "to", `198.18.${n}.1`, "lookup", "local"],
      ["pref", String(base + 1), "iif", site.inetIf, "lookup", up],
      ["pref", String(base + 2), "iif", towardSite, "lookup", "main"],
      ["pref", String(3000 + n), "to", `198.18.${n}.0/24`, "lookup", down],
    ]) {
      await inet.run("ip", ["rule", "add", ...rule]);
      d.rules.push(rule);
    }
    return d;
  } catch (err) {
    await stopLinkDelay(d).catch(() => {});
    throw err;
  }
}

/** Deletes the delay's rules and routes, then stops the tool: SIGTERM, and its final counters. */
async function stopLinkDelay(d: LinkDelay): Promise<LinkDelayCounters | null> {
  for (const rule of d.rules.splice(0).reverse()) await d.inet.exec("ip", ["rule", "del", ...rule]);
  for (const table of d.tables.splice(0)) await d.inet.exec("ip", ["route", "flush", "table", table]);
  const from = d.tool.received.length;
  const final = d.tool.alive
    ? d.tool
        .waitFor((o) => o.event === "counters", "link-delay final counters", 5_000, from)
        .catch(() => null)
    : Promise.resolve(null);
  await stopChild(d.tool.child);
  const last = (await final) ?? d.tool.received.filter((o) => o.event === "counters").at(-1);
  return last ? toLinkDelayCounters(last) : null;
}

function toLinkDelayCounters(o: JsonObject): LinkDelayCounters {
  return {
    fromSite: Number(o.aToB),
    toSite: Number(o.bToA),
    dropped: Number(o.dropped),
    pending: Number(o.pending),
  };
}

function masquerade(site: Site, kind: NatKind): string[] {
  return ["-o", site.wanIf, "-j", "MASQUERADE", ...(kind === "symmetric" ? ["--random-fully"] : [])];
}

async function run(cmd: string, args: string[]): Promise<void> {
  await execFileAsync(cmd, args, { timeout: 30_000 });
}
