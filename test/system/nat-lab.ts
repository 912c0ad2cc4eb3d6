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
 * mapping dies), and loss/delay on a site's link (link-impair.ts; this kernel
 * has no `tc netem`).
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
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { JsonLinesChild } from "./json-lines.ts";
import { type Netns, NetnsLab } from "./netns.ts";
import { REPO_ROOT } from "./topology.ts";

const execFileAsync = promisify(execFile);

export const PLATFORM_IP = "198.18.0.1";
export const STUN_PORT = 3478;
export const SITE_IP = "192.168.1.2";
const ROUTER_LAN_IP = "192.168.1.1";

export type NatKind = "eim" | "symmetric";
export type SiteName = "a" | "b";

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
  let platform: Platform | null = null;
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
    await run("ip", ["route", "add", `${PLATFORM_IP}/32`, "via", "198.18.255.2", "dev", rootIf]);

    const sites = {} as Record<SiteName, Site>;
    for (const [i, name] of (["a", "b"] as const).entries()) {
      const n = i + 1;
      const router = await lab.createNamespace(`r${name}`);
      const ns = await lab.createNamespace(`s${name}`);
      const wan = await lab.connect(inet, `198.18.${n}.1/24`, router, `198.18.${n}.2/24`);
      await lab.connect(router, `${ROUTER_LAN_IP}/24`, ns, `${SITE_IP}/24`);
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
        await Promise.all(agents.map((a) => a.stop(true).catch(() => {})));
        await p.stop().catch(() => {});
        await lab.cleanup();
      },
    };
  } catch (err) {
    await Promise.all(agents.map((a) => a.stop(true).catch(() => {})));
    await platform?.stop().catch(() => {});
    await lab.cleanup();
    throw err;
  }
}

function masquerade(site: Site, kind: NatKind): string[] {
  return ["-o", site.wanIf, "-j", "MASQUERADE", ...(kind === "symmetric" ? ["--random-fully"] : [])];
}

async function run(cmd: string, args: string[]): Promise<void> {
  await execFileAsync(cmd, args, { timeout: 30_000 });
}
