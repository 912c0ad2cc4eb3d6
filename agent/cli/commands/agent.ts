/** `tether agent up|status`: run the agent in the foreground, or ask a running one how it is doing. */

import { homedir } from "node:os";
import { join } from "node:path";
import { Agent, type AgentStatus } from "../../daemon/agent.ts";
import { parseHealthListen, startHealthServer } from "../../daemon/health-server.ts";
import type { PingReport } from "../../daemon/ping.ts";
import { requestAgent, startStatusServer } from "../../daemon/status-server.ts";
import { inClusterIdentity } from "../../kube/in-cluster-identity.ts";
import type { Cidr } from "../../net/ipv4.ts";
import type { ForwardInfo } from "../../tunnel/forward.ts";
import { parseListenAllowList } from "../../tunnel/listen-policy.ts";
import { systemClock } from "../../util/clock.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../util/logger.ts";
import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readPsk } from "../psk-input.ts";

export const DEFAULT_STATE_DIR = join(homedir(), ".tether");

export interface AgentUpOptions {
  cluster: string;
  psk?: string;
  pskFile?: string;
  state?: string;
  listenPort?: number;
  clusterUid?: string;
  heartbeatInterval?: number;
  logLevel?: string;
  logJson?: boolean;
  advertise?: string;
  socks5?: string;
  healthListen?: string;
  allowForwardListen?: string;
}

/** /healthz fails after this long without a tick of the agent's loop (it ticks every 50 ms). */
const HEALTH_TICK_STALE_MS = 5_000;
/** /readyz fails after this many heartbeat intervals without an answer from the platform. */
const HEALTH_MISSED_HEARTBEATS = 3;

export async function agentUp(ctx: CommandContext, opts: AgentUpOptions): Promise<void> {
  const level = (opts.logLevel ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const stateDir = opts.state ?? DEFAULT_STATE_DIR;
  if (opts.socks5 !== undefined && !/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(opts.socks5))
    throw new UsageError("--socks5 takes host:port with an IPv4 host, e.g. 127.0.0.1:1080");
  const advertise = opts.advertise?.split(",").map((a) => a.trim());
  if (advertise?.some((a) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(a) || a.split(".").some((o) => Number(o) > 255)))
    throw new UsageError("--advertise takes comma-separated IPv4 addresses");
  let allowForwardListen: Cidr[] = [];
  try {
    if (opts.allowForwardListen !== undefined)
      allowForwardListen = parseListenAllowList(opts.allowForwardListen);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (opts.healthListen !== undefined) {
    try {
      parseHealthListen(opts.healthListen);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const logger = createLogger(level, (l) => ctx.io.stderr(`${l}\n`), opts.logJson === true);
  // In a pod (service-account token and KUBERNETES_SERVICE_HOST), the identity lives in the
  // chart's Secret and the cluster UID is kube-system's uid; elsewhere, a state file and a random UID.
  const inCluster = await inClusterIdentity({ env: ctx.io.env });
  if (inCluster) {
    logger.info("running in a Kubernetes pod", {
      identity: inCluster.store.description,
      clusterUid: inCluster.clusterUid,
    });
  }
  const agent = new Agent({
    platform: ctx.platform,
    cluster: opts.cluster,
    psk: await readPsk(opts, ctx.io),
    stateDir,
    listenPort: opts.listenPort ?? 0,
    clusterUid: opts.clusterUid ?? inCluster?.clusterUid,
    ...(inCluster ? { stateStore: inCluster.store } : {}),
    advertiseAddresses: advertise,
    socks5: opts.socks5,
    allowForwardListen,
    heartbeatMs: (opts.heartbeatInterval ?? 15) * 1000,
    logger,
    allowFaultInjection: ctx.io.env.TETHER_FAULT_INJECTION === "1",
  });
  ctx.io.stderr(`Connecting cluster "${opts.cluster}" to ${ctx.platform} ...\n`);
  await agent.start();
  const status = await startStatusServer(agent, stateDir);
  const health =
    opts.healthListen === undefined
      ? null
      : await startHealthServer(opts.healthListen, {
          health: () => agent.health(),
          // The agent's own clock (wall time): lastTickAt and lastControlOkAt are read on it.
          clock: () => systemClock.now(),
          tickStaleMs: HEALTH_TICK_STALE_MS,
          controlStaleMs: HEALTH_MISSED_HEARTBEATS * (opts.heartbeatInterval ?? 15) * 1000,
        });
  if (health) logger.info("health endpoint up", { address: health.address });
  const s = agent.status();
  if (ctx.json)
    ctx.printJson({
      event: "up",
      cluster: s.cluster,
      meshIp: s.meshIp,
      listenPort: s.listenPort,
      ...(health ? { health: health.address } : {}),
    });
  else ctx.io.stdout(`Agent up: cluster ${s.cluster}, mesh IP ${s.meshIp}, UDP port ${s.listenPort}\n`);

  await new Promise<void>((resolve, reject) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    agent.once("fatal", (e) => reject(e));
  }).finally(async () => {
    await health?.close();
    await status.close();
    await agent.stop();
  });
}

/** Where the pair's relay object was placed, as its hello said: "apac", "weur/eu", or "-". */
function relayAt(p: AgentStatus["peers"][number]["relayPlacement"]): string {
  if (!p?.locationHint) return p?.jurisdiction ?? "-";
  return p.jurisdiction ? `${p.locationHint}/${p.jurisdiction}` : p.locationHint;
}

export async function agentStatus(ctx: CommandContext, opts: { state?: string }): Promise<void> {
  const s = (await requestAgent(opts.state ?? DEFAULT_STATE_DIR)) as AgentStatus;
  if (ctx.json) return ctx.printJson(s);
  const lines = [
    `Cluster:    ${s.cluster}`,
    `Platform:   ${s.platform} (${s.platformReachable ? "reachable" : "unreachable"}; ${s.controlChannel ? "control channel open" : "HTTP heartbeats"})`,
    `Version:    ${s.version}`,
    `Mesh IP:    ${s.meshIp}`,
    `UDP port:   ${s.listenPort}`,
    `Endpoints:  ${s.endpoints.join(", ") || "-"}`,
    "",
  ];
  const header = ["PEER", "MESH IP", "PATH", "ENDPOINT", "RTT", "RX", "TX", "HANDSHAKE", "RELAY", "RELAY AT"];
  const rows = s.peers.map((p) => [
    p.cluster,
    p.meshIp,
    p.path,
    p.endpoint ?? "-",
    p.rttMs === null ? "-" : `${p.rttMs} ms`,
    bytes(p.rxBytes),
    bytes(p.txBytes),
    p.lastHandshakeAgeSeconds === null ? "never" : `${p.lastHandshakeAgeSeconds} s ago`,
    p.relay,
    relayAt(p.relayPlacement),
  ]);
  if (rows.length === 0) lines.push("No peers yet.");
  else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows])
      lines.push(
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      );
  }
  ctx.io.stdout(`${lines.join("\n")}\n`);
}

export interface AgentPingOptions {
  state?: string;
  udp?: boolean;
  count?: number;
  size?: number;
  interval?: number;
  timeout?: number;
}

/** `tether agent ping`: the running agent sends echo probes through the tunnel and reports each. */
export async function agentPing(ctx: CommandContext, target: string, opts: AgentPingOptions): Promise<void> {
  const body = {
    target,
    protocol: opts.udp ? "udp" : "icmp",
    count: opts.count ?? 4,
    size: opts.size ?? 56,
    intervalMs: opts.interval ?? 200,
    timeoutMs: opts.timeout ?? 1_000,
  };
  const r = (await requestAgent(opts.state ?? DEFAULT_STATE_DIR, {
    method: "POST",
    path: "/ping",
    body,
    // The agent answers once the last probe is in or timed out.
    timeoutMs: body.count * body.intervalMs + body.timeoutMs + 5_000,
  })) as PingReport;
  if (ctx.json) ctx.printJson(r);
  else {
    const who = r.cluster ? `${r.ip} (${r.cluster})` : r.ip;
    const lines = [`PING ${who} ${r.protocol.toUpperCase()} ${r.size} bytes`];
    for (const p of r.probes) {
      lines.push(
        p.ok
          ? `${r.size} bytes from ${who}: seq=${p.seq} time=${p.rttMs} ms path=${p.path}`
          : `seq=${p.seq} ${p.error === "mismatch" ? "reply bytes differ" : "no reply"} (path=${p.path})`,
      );
    }
    lines.push(`${r.sent} sent, ${r.received} received, ${r.lossPercent}% loss`);
    if (r.rttMs) lines.push(`rtt min/avg/max = ${r.rttMs.min}/${r.rttMs.avg}/${r.rttMs.max} ms`);
    ctx.io.stdout(`${lines.join("\n")}\n`);
  }
  if (r.received === 0) throw new Error(`no replies from ${target}`);
}

/** `tether agent forward <cluster>:<port> --listen 127.0.0.1:N`: asks the running agent to open the listener. */
export async function agentForward(
  ctx: CommandContext,
  to: string,
  opts: { listen?: string; state?: string },
): Promise<void> {
  const listen = opts.listen ?? "127.0.0.1:0";
  const f = (await requestAgent(opts.state ?? DEFAULT_STATE_DIR, {
    method: "POST",
    path: "/forward",
    body: { listen, to },
  })) as ForwardInfo;
  if (ctx.json) ctx.printJson(f);
  else
    ctx.io.stdout(
      `Forwarding ${f.address} -> ${f.peer}:${f.port} through the tunnel (for as long as the agent runs)\n`,
    );
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
