/**
 * TCP between two real agents (`tether agent up` child processes and a real
 * local platform), through `tether agent forward` on one and `expose` on the
 * other, side by side in one run with baselines on the same machine (issue 5):
 *
 * 1. Bulk throughput, iperf3 (one stream, IPERF_SECONDS each way, `-J`
 *    end.sum_received): the iperf3 client connects to the forward's local
 *    listener, the iperf3 server sits behind the expose. Baseline: wireguard-go
 *    to wireguard-go with kernel TCP between two network namespaces this bench
 *    creates (a veth pair, a wireguard-go interface in each, MTU 1420 like
 *    ours), iperf3 client in one, server in the other. Target >= 0.5x, goal 1.0x.
 * 2. Memory per idle connection: IDLE_CONNECTIONS connections through forward ->
 *    expose, each echoed once end to end (so the echo server behind the expose
 *    accepted it), then held idle; VmRSS of each agent process before and after,
 *    per connection. Baseline: the same connections through a trivial Node TCP
 *    proxy (net.createServer piping to net.connect) in its own process. Each
 *    agent holds one Node socket and one tunnel TCP connection per connection,
 *    the proxy two Node sockets. RSS includes whatever garbage V8 has not
 *    collected yet, in both; nothing forces a GC.
 * 3. Connections per second: CPS_CONCURRENCY loops of connect, send 8 bytes,
 *    read the echo, close, for CPS_SECONDS, through forward -> expose; the same
 *    client against the same echo server through the wireguard-go namespace pair
 *    (kernel TCP) and through the trivial Node proxy.
 *
 * Where things run: the platform, both agents, the services behind the expose
 * and the clients of the agent path run in the root namespace, and the agents
 * talk direct UDP over loopback (not a veth pair: the baseline's underlay is a
 * veth pair between two namespaces). Everything shares the machine's cores.
 * The idle connections are opened from this process, the iperf3 and
 * connections-per-second clients are child processes (tcp-mesh-tool.ts).
 * Needs root (namespaces), wireguard-go, wg, ip and iperf3.
 *
 * Not measured here: loss, delay or reordering (the links are clean), the
 * relay path, several parallel streams, TLS or HTTP on top, and CPU per byte.
 *
 *   npm run bench -- tcp-mesh
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CreateClusterResponse } from "../protocol/api.ts";
import { type AgentProcess, agentForward, startAgent, waitFor } from "../test/helpers/agent-process.ts";
import { freePort } from "../test/helpers/free-port.ts";
import { JsonLinesChild, type JsonObject } from "../test/helpers/json-lines.ts";
import {
  type ExecResult,
  type Netns,
  NetnsLab,
  pollUntil,
  runCommand,
  stopChild,
} from "../test/helpers/netns.ts";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";
import { MTU, REPO_ROOT, startWireguardGo, wgKeyPair } from "../test/helpers/topology.ts";

const IPERF_SECONDS = 5;
const IDLE_CONNECTIONS = 1000;
/** Idle connections opened at once; below the agent's SYN backlog (128) so no SYN waits for a retransmit. */
const IDLE_BATCH = 50;
const IDLE_WARMUP = 100;
const IDLE_SETTLE_MS = 2_000;
const CPS_CONCURRENCY = 16;
const CPS_SECONDS = 4;

const UNDERLAY_A = "10.78.0.1";
const UNDERLAY_B = "10.78.0.2";
const TUNNEL_A = "10.79.0.1";
const TUNNEL_B = "10.79.0.2";
const WG_LISTEN = 51820;
const TOOL = join(REPO_ROOT, "bench", "tcp-mesh-tool.ts");

const rootChildren: ChildProcess[] = [];
let platform: Platform | undefined;

/** Like Netns.exec, in the root namespace. */
const rootExec = runCommand;
type Exec = (cmd: string, args: string[], timeoutMs?: number) => Promise<ExecResult>;
type Spawn = (cmd: string, args: string[]) => ChildProcess;

const rootSpawn: Spawn = (cmd, args) => {
  const c = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  rootChildren.push(c);
  return c;
};
const nsSpawn =
  (ns: Netns): Spawn =>
  (cmd, args) =>
    ns.spawn(cmd, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });

/** A tcp-mesh-tool.ts server (echo or proxy); resolves with its port and pid once it listens. */
async function startTool(sp: Spawn, args: string[]): Promise<{ port: number; pid: number }> {
  const child = new JsonLinesChild(sp(process.execPath, ["--import", "tsx", TOOL, ...args]));
  const ready = await child.waitFor((o) => o.event === "ready", `tool ${args.join(" ")}`, 30_000);
  return { port: Number(ready.port), pid: Number(ready.pid) };
}

async function startIperfServer(sp: Spawn, exec: Exec, host: string, port: number): Promise<void> {
  const c = sp("iperf3", ["-s", "-B", host, "-p", String(port)]);
  c.stdout?.resume();
  c.stderr?.resume();
  await pollUntil(`iperf3 server on ${host}:${port}`, async () =>
    (await exec("ss", ["-Hltn", `sport = :${port}`])).stdout.includes(`:${port}`),
  );
}

async function iperf(exec: Exec, host: string, port: number, reverse: boolean): Promise<number> {
  const args = [
    "-c",
    host,
    "-p",
    String(port),
    "-t",
    String(IPERF_SECONDS),
    "-J",
    ...(reverse ? ["-R"] : []),
  ];
  const r = await exec("iperf3", args, (IPERF_SECONDS + 30) * 1000);
  let j: { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  try {
    j = JSON.parse(r.stdout) as typeof j;
  } catch {
    throw new Error(`iperf3 ${args.join(" ")}: no JSON (${r.code}): ${r.stderr.trim()}`);
  }
  const bps = j.end?.sum_received?.bits_per_second;
  if (r.code !== 0 || bps === undefined)
    throw new Error(`iperf3 ${args.join(" ")} failed: ${j.error ?? r.stderr}`);
  return bps / 1e6;
}

interface Cps extends JsonObject {
  connections: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: Record<string, number>;
}

async function cps(sp: Spawn, host: string, port: number): Promise<Cps> {
  const args = [TOOL, "cps", host, String(port), String(CPS_CONCURRENCY), String(CPS_SECONDS)];
  const child = new JsonLinesChild(sp(process.execPath, ["--import", "tsx", ...args]));
  return (await child.waitFor(
    (o) => o.event === "done",
    `cps ${host}:${port}`,
    (CPS_SECONDS + 60) * 1000,
  )) as Cps;
}

// ---------------------------------------------------------------- wireguard-go baseline

interface WgPair {
  a: Netns;
  b: Netns;
}

/** Two namespaces joined by a veth pair, a wireguard-go interface in each, peered with each other. */
async function wireguardPair(lab: NetnsLab): Promise<WgPair> {
  const a = await lab.createNamespace("a");
  const b = await lab.createNamespace("b");
  await lab.connect(a, `${UNDERLAY_A}/24`, b, `${UNDERLAY_B}/24`);
  const keys = { a: wgKeyPair(), b: wgKeyPair() };
  const ifs = { a: lab.ifname("wga"), b: lab.ifname("wgb") };
  await Promise.all([startWireguardGo(lab, a, ifs.a), startWireguardGo(lab, b, ifs.b)]);
  const keyDir = mkdtempSync(join(tmpdir(), "tt-bench-keys-"));
  try {
    const side = async (ns: Netns, me: "a" | "b", peer: "a" | "b", tunnel: string, peerTunnel: string) => {
      const file = join(keyDir, `${me}.key`);
      writeFileSync(file, `${keys[me].privateKey}\n`, { mode: 0o600 });
      const peerUnderlay = peer === "a" ? UNDERLAY_A : UNDERLAY_B;
      await ns.run("wg", [
        "set",
        ifs[me],
        "private-key",
        file,
        "listen-port",
        String(WG_LISTEN),
        "peer",
        keys[peer].publicKey,
        "allowed-ips",
        `${peerTunnel}/32`,
        "endpoint",
        `${peerUnderlay}:${WG_LISTEN}`,
      ]);
      await ns.run("ip", ["addr", "add", `${tunnel}/24`, "dev", ifs[me]]);
      await ns.run("ip", ["link", "set", ifs[me], "mtu", String(MTU), "up"]);
      // Only this namespace: the client closes first, so reuse its TIME-WAIT ports like loopback does.
      await ns.run("sysctl", ["-q", "-w", "net.ipv4.tcp_tw_reuse=1"]);
    };
    await Promise.all([side(a, "a", "b", TUNNEL_A, TUNNEL_B), side(b, "b", "a", TUNNEL_B, TUNNEL_A)]);
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
  await pollUntil(
    "wireguard-go handshake",
    async () => (await a.exec("ping", ["-c", "1", "-W", "1", "-n", TUNNEL_B])).code === 0,
    { tries: 20, intervalMs: 200 },
  );
  return { a, b };
}

// ---------------------------------------------------------------- idle connections

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Connects, sends one byte and waits for its echo: the server behind the path accepted the connection. */
function openEchoed(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("idle connection not echoed within 20 s"));
    }, 20_000);
    sock.once("connect", () => sock.write("x"));
    sock.once("data", () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function openMany(port: number, n: number): Promise<Socket[]> {
  const socks: Socket[] = [];
  for (let i = 0; i < n; i += IDLE_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(IDLE_BATCH, n - i) }, () => openEchoed(port)),
    );
    socks.push(...batch);
  }
  return socks;
}

/** RST, so that neither end (nor the tunnel TCP) keeps TIME-WAIT state into the next part. */
function resetAll(socks: Socket[]): void {
  for (const s of socks) s.resetAndDestroy();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface IdleResult {
  beforeKiB: number[];
  afterKiB: number[];
  perConnBytes: number[];
}

/** Opens IDLE_CONNECTIONS through `port` and reports each pid's RSS growth per connection. */
async function idleRss(port: number, pids: number[]): Promise<IdleResult> {
  resetAll(await openMany(port, IDLE_WARMUP)); // JIT, pools and maps warm before "before"
  await sleep(IDLE_SETTLE_MS);
  const beforeKiB = pids.map(rssKiB);
  const socks = await openMany(port, IDLE_CONNECTIONS);
  await sleep(IDLE_SETTLE_MS);
  const afterKiB = pids.map(rssKiB);
  resetAll(socks);
  return {
    beforeKiB,
    afterKiB,
    perConnBytes: pids.map((_, i) => ((afterKiB[i]! - beforeKiB[i]!) * 1024) / IDLE_CONNECTIONS),
  };
}

// ---------------------------------------------------------------- the agents

async function api<T>(p: Platform, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const peerPath = async (a: AgentProcess, peer: string) =>
  (await a.status()).peers.find((p) => p.cluster === peer)?.path ?? "none";

async function main() {
  if (process.getuid?.() !== 0)
    throw new Error("tcp-mesh needs root: its baseline runs in network namespaces");
  const lab = new NetnsLab();
  const agents: AgentProcess[] = [];
  try {
    console.log("starting a local platform and the wireguard-go namespace pair...");
    // Assigned as soon as it is up, so the finally below stops it even if the namespaces fail.
    const [p, wg] = await Promise.all([startPlatform().then((x) => (platform = x)), wireguardPair(lab)]);
    const wgExec: Exec = (cmd, args, t) => wg.a.exec(cmd, args, t);
    const wgAsp = nsSpawn(wg.a);
    const wgBsp = nsSpawn(wg.b);

    // Services: in the root namespace behind the expose (and the proxy), in namespace b for the baseline.
    const iperfPort = await freePort();
    const [echo, wgEcho] = await Promise.all([
      startTool(rootSpawn, ["echo", "127.0.0.1", "0"]),
      startTool(wgBsp, ["echo", TUNNEL_B, "0"]),
      startIperfServer(rootSpawn, rootExec, "127.0.0.1", iperfPort),
      startIperfServer(wgBsp, (c, a, t) => wg.b.exec(c, a, t), TUNNEL_B, 5201),
    ]);
    const proxy = await startTool(rootSpawn, ["proxy", "0", `127.0.0.1:${echo.port}`]);

    const hubC = await api<CreateClusterResponse>(p, "POST", "/api/v1/clusters", {
      name: "hub",
      displayName: "Hub",
      local: true,
    });
    const spokeC = await api<CreateClusterResponse>(p, "POST", "/api/v1/clusters", {
      name: "spoke",
      displayName: "Spoke",
      annotations: {
        "loft.sh/agent-values": [
          "expose:",
          `  - { port: 5201, target: "127.0.0.1:${iperfPort}" }`,
          `  - { port: 7007, target: "127.0.0.1:${echo.port}" }`,
          "",
        ].join("\n"),
      },
    });
    const [hub, spoke] = await Promise.all([
      startAgent({ platform: p.url, cluster: "hub", psk: hubC.psk }),
      startAgent({ platform: p.url, cluster: "spoke", psk: spokeC.psk }),
    ]);
    agents.push(hub, spoke);
    await waitFor("spoke exposes its ports", async () => (await spoke.status()).expose.length === 2, 15_000);
    await waitFor("hub on direct to spoke", async () => (await peerPath(hub, "spoke")) === "direct", 20_000);
    const fIperf = await agentForward(hub, "spoke:5201");
    const fEcho = await agentForward(hub, "spoke:7007");
    const hubPid = hub.child.pid!;
    const spokePid = spoke.child.pid!;

    // 2 first, on fresh agents (the other parts leave garbage and TIME-WAIT blocks behind).
    console.log(
      `memory: ${IDLE_CONNECTIONS} idle connections through forward -> expose, then the Node proxy...`,
    );
    const tcbBefore = [(await hub.status()).tcp.connections, (await spoke.status()).tcp.connections];
    const idleAgents = await idleRss(fEcho, [hubPid, spokePid]);
    const idleProxy = await idleRss(proxy.port, [proxy.pid]);
    const drained = await waitFor(
      "tunnel connections gone after the reset",
      async () => {
        const n = [(await hub.status()).tcp.connections, (await spoke.status()).tcp.connections];
        return n[0]! <= tcbBefore[0]! && n[1]! <= tcbBefore[1]! ? n : null;
      },
      15_000,
    );

    console.log(`throughput: iperf3 ${IPERF_SECONDS} s each way, agents then wireguard-go...`);
    const tp = {
      oursUp: await iperf(rootExec, "127.0.0.1", fIperf, false),
      oursDown: await iperf(rootExec, "127.0.0.1", fIperf, true),
      pathAfter: await peerPath(hub, "spoke"),
      wgUp: await iperf(wgExec, TUNNEL_B, 5201, false),
      wgDown: await iperf(wgExec, TUNNEL_B, 5201, true),
    };

    console.log(`connections per second: ${CPS_CONCURRENCY} at a time, ${CPS_SECONDS} s per path...`);
    const cpsOurs = await cps(rootSpawn, "127.0.0.1", fEcho);
    const cpsWg = await cps(wgAsp, TUNNEL_B, wgEcho.port);
    const cpsProxy = await cps(rootSpawn, "127.0.0.1", proxy.port);
    const tcbAfterCps = [(await hub.status()).tcp.connections, (await spoke.status()).tcp.connections];

    // ------------------------------------------------------------ report
    const f = (n: number, d = 0) => n.toFixed(d);
    const r = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
    console.log(
      `\n1. direct TCP throughput, iperf3, one stream, ${IPERF_SECONDS} s each way (Mbit/s, end.sum_received)\n`,
    );
    console.log(`${"path".padEnd(52)} ${"up".padStart(8)} ${"down -R".padStart(8)}`);
    console.log(
      `${"agents: forward -> expose, direct UDP on loopback".padEnd(52)} ${f(tp.oursUp).padStart(8)} ${f(tp.oursDown).padStart(8)}`,
    );
    console.log(
      `${"wireguard-go <-> wireguard-go, kernel TCP, netns".padEnd(52)} ${f(tp.wgUp).padStart(8)} ${f(tp.wgDown).padStart(8)}`,
    );
    console.log(
      `ratio ours/wireguard-go: up ${f(r(tp.oursUp, tp.wgUp), 3)}x, down ${f(r(tp.oursDown, tp.wgDown), 3)}x (target >= 0.5x, goal 1.0x); path after: ${tp.pathAfter}`,
    );

    console.log(
      `\n2. memory per idle connection: ${IDLE_CONNECTIONS} connections, each echoed once end to end, held ${IDLE_SETTLE_MS / 1000} s (VmRSS)\n`,
    );
    console.log(
      `${"process".padEnd(36)} ${"before MiB".padStart(10)} ${"after MiB".padStart(10)} ${"bytes/conn".padStart(11)}`,
    );
    const rows: [string, IdleResult, number][] = [
      ["hub agent (forward side)", idleAgents, 0],
      ["spoke agent (expose side)", idleAgents, 1],
      ["trivial Node proxy (baseline)", idleProxy, 0],
    ];
    for (const [label, res, i] of rows) {
      console.log(
        `${label.padEnd(36)} ${f(res.beforeKiB[i]! / 1024, 1).padStart(10)} ${f(res.afterKiB[i]! / 1024, 1).padStart(10)} ${f(res.perConnBytes[i]!).padStart(11)}`,
      );
    }
    const hubB = idleAgents.perConnBytes[0]!;
    const spokeB = idleAgents.perConnBytes[1]!;
    const proxyB = idleProxy.perConnBytes[0]!;
    console.log(
      `ratio vs proxy: hub ${f(r(hubB, proxyB), 2)}x, spoke ${f(r(spokeB, proxyB), 2)}x, both agents together ${f(r(hubB + spokeB, proxyB), 2)}x`,
    );
    console.log(
      `tunnel TCP blocks (hub, spoke): ${tcbBefore.join(", ")} before, ${drained.join(", ")} after the RSTs`,
    );

    console.log(
      `\n3. connections per second: connect, 8 bytes, echo, close; ${CPS_CONCURRENCY} at a time, ${CPS_SECONDS} s\n`,
    );
    console.log(
      `${"path".padEnd(44)} ${"conn/s".padStart(8)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}  errors`,
    );
    for (const [label, c] of [
      ["agents: forward -> expose", cpsOurs],
      ["wireguard-go <-> wireguard-go, kernel TCP", cpsWg],
      ["trivial Node proxy on loopback", cpsProxy],
    ] as const) {
      console.log(
        `${label.padEnd(44)} ${f(c.perSecond).padStart(8)} ${f(c.p50Ms, 2).padStart(7)} ${f(c.p99Ms, 2).padStart(7)}  ${JSON.stringify(c.errors)}`,
      );
    }
    console.log(
      `ratio ours/wireguard-go ${f(r(cpsOurs.perSecond, cpsWg.perSecond), 3)}x, ours/proxy ${f(r(cpsOurs.perSecond, cpsProxy.perSecond), 3)}x; tunnel TCP blocks after (hub, spoke, incl. TIME-WAIT): ${tcbAfterCps.join(", ")}`,
    );

    const round = (n: number, d = 3) => Number(n.toFixed(d));
    console.log(
      `BENCH_JSON ${JSON.stringify({
        baseline: "wireguard-go <-> wireguard-go with kernel TCP between two netns; trivial Node proxy",
        iperfSeconds: IPERF_SECONDS,
        oursUpMbps: Math.round(tp.oursUp),
        oursDownMbps: Math.round(tp.oursDown),
        wireguardGoUpMbps: Math.round(tp.wgUp),
        wireguardGoDownMbps: Math.round(tp.wgDown),
        throughputRatioUp: round(r(tp.oursUp, tp.wgUp)),
        throughputRatioDown: round(r(tp.oursDown, tp.wgDown)),
        pathAfterIperf: tp.pathAfter,
        idleConnections: IDLE_CONNECTIONS,
        hubBytesPerIdleConn: Math.round(hubB),
        spokeBytesPerIdleConn: Math.round(spokeB),
        proxyBytesPerIdleConn: Math.round(proxyB),
        memoryRatioHub: round(r(hubB, proxyB), 2),
        memoryRatioSpoke: round(r(spokeB, proxyB), 2),
        cpsConcurrency: CPS_CONCURRENCY,
        oursCps: Math.round(cpsOurs.perSecond),
        wireguardGoCps: Math.round(cpsWg.perSecond),
        proxyCps: Math.round(cpsProxy.perSecond),
        cpsRatioVsWireguardGo: round(r(cpsOurs.perSecond, cpsWg.perSecond)),
        cpsRatioVsProxy: round(r(cpsOurs.perSecond, cpsProxy.perSecond)),
        cpsErrors: { ours: cpsOurs.errors, wireguardGo: cpsWg.errors, proxy: cpsProxy.errors },
        targets: { throughputRatio: 0.5, throughputGoal: 1.0 },
      })}`,
    );
  } finally {
    await Promise.all(agents.map((a) => a.stop(true)));
    await Promise.all(rootChildren.map((c) => stopChild(c)));
    await platform?.stop();
    await lab.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
