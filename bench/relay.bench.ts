/**
 * Agent and relay, against a real local platform (wrangler dev: workerd, local
 * D1, the pair relay's Durable Object), all on loopback:
 *
 * 1. Throughput: UDP datagrams (1392-byte payloads, the most one 1420-MTU packet
 *    carries) through the tunnel between two agents, on the relay (agent values
 *    `relay.mode: always`) against the direct UDP path, in the same run, with
 *    the same open-loop sender. Target: relay >= 0.3x direct.
 * 2. Time to first packet after both agents are up (two `tether agent up`
 *    processes). Target <= 1 s.
 * 3. Time to fall back to the relay after direct UDP is cut (the agent's fault
 *    switch). Target <= 3 s.
 * 4. Time back to direct after UDP is restored. Target <= 10 s.
 * 5. Agent RSS with 100 peers in its netmap, against the same agent with one.
 * 6. What the relay object sees (relay-frames.ts): WireGuard datagrams per
 *    WebSocket message for the UDP flood, bulk TCP (forward -> expose, relay
 *    forced), one ping a second and an idle pair; messages/s into the object;
 *    and the modeled ceiling of one pair at 1,000 messages/s.
 *
 *   node --import tsx bench/relay.bench.ts
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../agent/daemon/agent.ts";
import { ipFromString } from "../agent/net/ipv4.ts";
import { createLogger } from "../agent/util/logger.ts";
import { generatePrivateKey, keyToBase64, publicKeyFrom } from "../agent/wireguard/index.ts";
import type { CreateClusterResponse } from "../protocol/api.ts";
import { type AgentProcess, startAgent, waitFor } from "../test/helpers/agent-process.ts";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";
import { sinkServer } from "../test/helpers/tcp-services.ts";
import {
  type FrameSample,
  modeledCeilingMbit,
  OBJECT_MESSAGES_PER_SECOND,
  pushThroughForward,
  sampleFrames,
} from "./relay-frames.ts";

const PAYLOAD = 1392;
const BLAST_MS = 3_000;
const BURST = 32;
const SWITCH_REPEATS = 3;
const RSS_PEERS = 100;
const BULK_BYTES = 32 * 1024 * 1024;
const PING_SECONDS = 10;
/** Long enough for probes that back off to show it; TETHER_BENCH_IDLE_S overrides. */
const IDLE_SECONDS = Number(process.env.TETHER_BENCH_IDLE_S ?? 60);
const EXPOSE_PORT = 7000;

let platform: Platform;
const cleanups: Array<() => Promise<unknown>> = [];

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function addCluster(name: string): Promise<string> {
  const r = await api<CreateClusterResponse>("POST", "/api/v1/clusters", { name, displayName: name });
  return r.psk;
}

/** Each part deletes its clusters afterwards, so the next part's netmaps hold only its own peers. */
async function deleteClusters(...names: string[]): Promise<void> {
  for (const n of names) await api("DELETE", `/api/v1/clusters/${n}`);
}

async function inProcessAgent(cluster: string, psk: string): Promise<Agent> {
  const stateDir = await mkdtemp(join(tmpdir(), `tether-bench-${cluster}-`));
  const agent = new Agent({
    platform: platform.url,
    cluster,
    psk,
    stateDir,
    heartbeatMs: 1_000,
    advertiseAddresses: ["127.0.0.1"],
    logger: createLogger("error", () => {}),
  });
  await agent.start();
  cleanups.push(async () => {
    await agent.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  return agent;
}

interface Blast {
  sent: number;
  received: number;
  seconds: number;
  datagramsPerSecond: number;
  mbitPerSecond: number;
}

/** Open loop: BURST datagrams per event-loop turn for BLAST_MS, counting what arrives at the far agent. */
async function blast(from: Agent, to: Agent): Promise<Blast> {
  let received = 0;
  const unbind = to.udp.bind(9, (_src, _port, data) => {
    if (data.length === PAYLOAD) received++;
  });
  const payload = new Uint8Array(PAYLOAD).fill(0xa5);
  const dst = ipFromString(to.state.meshIp);
  let sent = 0;
  const start = performance.now();
  const deadline = start + BLAST_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < BURST; i++) from.udp.sendTo(40_000, dst, 9, payload);
    sent += BURST;
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // stragglers still in flight count
  unbind();
  return {
    sent,
    received,
    seconds,
    datagramsPerSecond: received / seconds,
    mbitPerSecond: (received * PAYLOAD * 8) / seconds / 1e6,
  };
}

async function setRelayMode(
  cluster: string,
  agent: Agent,
  mode: "auto" | "always",
  extraValues = "",
): Promise<void> {
  await api("PATCH", `/api/v1/clusters/${cluster}`, {
    annotations: { "loft.sh/agent-values": `relay:\n  mode: ${mode}\n${extraValues}` },
  });
  await waitFor(`${cluster} relay mode ${mode}`, async () => agent.settings.relayMode === mode, 15_000);
}

async function throughput() {
  const hubPsk = await addCluster("tp-hub");
  const spokePsk = await addCluster("tp-spoke");
  const [hub, spoke] = await Promise.all([
    inProcessAgent("tp-hub", hubPsk),
    inProcessAgent("tp-spoke", spokePsk),
  ]);
  const pingOk = async (path: string) => {
    const r = await spoke.ping({
      target: "tp-hub",
      protocol: "udp",
      count: 1,
      size: 64,
      intervalMs: 10,
      timeoutMs: 500,
    });
    return r.received === 1 && (path === "any" || r.probes[0]!.path === path);
  };
  await waitFor("direct path", () => pingOk("direct"), 20_000);
  const direct = await blast(spoke, hub);

  await Promise.all([setRelayMode("tp-hub", hub, "always"), setRelayMode("tp-spoke", spoke, "always")]);
  await waitFor(
    "relay open both sides",
    async () => {
      const a = hub.status().peers[0]?.relay === "open";
      const b = spoke.status().peers[0]?.relay === "open";
      return a && b && (await pingOk("any"));
    },
    20_000,
  );
  let relay: Blast | undefined;
  const flood = await sampleFrames(spoke, hub, async () => {
    relay = await blast(spoke, hub);
  });
  const frames = await relayFrames(hub, spoke);
  await Promise.all([hub.stop(), spoke.stop()]);
  await deleteClusters("tp-hub", "tp-spoke");
  return {
    direct,
    relay: relay!,
    frames: { flood, ...frames },
    ratio: relay!.datagramsPerSecond / direct.datagramsPerSecond,
  };
}

/** One ping a second, then an idle pair, then bulk TCP, all on the relay (mode always). */
async function relayFrames(hub: Agent, spoke: Agent) {
  const ping = await sampleFrames(spoke, hub, () =>
    spoke.ping({
      target: "tp-hub",
      protocol: "udp",
      count: PING_SECONDS,
      size: 64,
      intervalMs: 1_000,
      timeoutMs: 1_000,
    }),
  );
  const idle = await sampleFrames(spoke, hub, () => new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000)));

  const sink = sinkServer();
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => sink.close(r)));
  const sinkPort = (sink.address() as { port: number }).port;
  await setRelayMode(
    "tp-hub",
    hub,
    "always",
    `expose:\n  - { port: ${EXPOSE_PORT}, target: "127.0.0.1:${sinkPort}" }\n`,
  );
  await waitFor("expose applied", async () => hub.settings.expose.length === 1, 15_000);
  const fwd = await spoke.addForward({
    peer: "tp-hub",
    port: EXPOSE_PORT,
    listenHost: "127.0.0.1",
    listenPort: 0,
  });
  const fwdPort = Number(fwd.address.split(":").pop());
  const bulk = await sampleFrames(spoke, hub, () => pushThroughForward(fwdPort, BULK_BYTES));
  return { ping, idle, bulk, bulkCeilingMbit: modeledCeilingMbit(BULK_BYTES, bulk.frames) };
}

async function launch(cluster: string, psk: string): Promise<AgentProcess> {
  const a = await startAgent({ platform: platform.url, cluster, psk });
  cleanups.push(() => a.stop(true));
  return a;
}

/** First UDP echo through the tunnel, timed from the moment the later of the two agents said it was up. */
async function timeToFirstPacket() {
  const hubPsk = await addCluster("ttfp-hub");
  const spokePsk = await addCluster("ttfp-spoke");
  const spawnedAt = Date.now();
  const [hub, spoke] = await Promise.all([launch("ttfp-hub", hubPsk), launch("ttfp-spoke", spokePsk)]);
  const upAt = Date.now();
  let first: number | null = null;
  for (let i = 0; i < 100 && first === null; i++) {
    const r = await spoke
      .ping({ target: "ttfp-hub", protocol: "udp", count: 1, size: 64, timeoutMs: 200 })
      .catch(() => null);
    const p = r?.probes[0];
    if (p?.ok) first = p.sentAtMs + (p.rttMs ?? 0);
    else if (!r) await new Promise((res) => setTimeout(res, 20)); // not in the netmap yet
  }
  if (first === null) throw new Error("no packet crossed within 100 attempts");
  return { hub, spoke, fromUpMs: first - upAt, fromSpawnMs: first - spawnedAt };
}

/** Cut (or restore) direct UDP during a steady UDP ping and time the first reply on the other path. */
async function timeSwitch(spoke: AgentProcess, peer: string, blocked: boolean): Promise<number> {
  const want = blocked ? "relay" : "direct";
  const running = spoke.ping({
    target: peer,
    protocol: "udp",
    count: 300,
    intervalMs: 50,
    size: 64,
    timeoutMs: 500,
  });
  await new Promise((r) => setTimeout(r, 500));
  const at = Date.now();
  await spoke.blockUdp(blocked);
  const r = await running;
  const hit = r.probes.find((p) => p.sentAtMs >= at && p.ok && p.path === want);
  if (!hit) throw new Error(`never saw a reply on ${want} within ${r.probes.length} probes`);
  return hit.sentAtMs + (hit.rttMs ?? 0) - at;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error("no VmRSS");
  return Number(m[1]);
}

/** RSS of one hub agent process with 1 peer, then with RSS_PEERS peers registered (each with a relay socket). */
async function rssWithPeers() {
  const hubPsk = await addCluster("rss-hub");
  const firstPsk = await addCluster("rss-0");
  const register = async (name: string, psk: string) => {
    const key = generatePrivateKey();
    await api("POST", "/api/v1/agent/register", {
      cluster: name,
      psk,
      publicKey: keyToBase64(publicKeyFrom(key)),
      clusterUid: `bench-${name}`,
      version: "0.1.0-bench",
    });
  };
  await register("rss-0", firstPsk);
  const hub = await launch("rss-hub", hubPsk);
  await waitFor("1 peer", async () => (await hub.status()).peers.length === 1, 15_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const one = rssKiB(hub.child.pid!);
  for (let i = 1; i < RSS_PEERS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, RSS_PEERS - i) }, async (_, j) => {
        const name = `rss-${i + j}`;
        await register(name, await addCluster(name));
      }),
    );
  }
  await waitFor(`${RSS_PEERS} peers`, async () => (await hub.status()).peers.length === RSS_PEERS, 30_000);
  await waitFor(
    "relays open",
    async () => (await hub.status()).peers.every((p) => p.relay === "open"),
    60_000,
  );
  await new Promise((r) => setTimeout(r, 3_000));
  const hundred = rssKiB(hub.child.pid!);
  return { oneKiB: one, hundredKiB: hundred, perPeerKiB: (hundred - one) / (RSS_PEERS - 1) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  console.log("starting a local platform (wrangler dev + local D1)...");
  platform = await startPlatform();
  try {
    // Mesh peering: every pair of clusters is peered, so no part needs the one local cluster.
    await api("PUT", "/api/v1/config", { peering: "mesh", agentValues: {} });
    const tp = await throughput();
    const ttfp = await timeToFirstPacket();
    const fallbacks: number[] = [];
    const recoveries: number[] = [];
    for (let i = 0; i < SWITCH_REPEATS; i++) {
      fallbacks.push(await timeSwitch(ttfp.spoke, "ttfp-hub", true));
      recoveries.push(await timeSwitch(ttfp.spoke, "ttfp-hub", false));
    }
    await Promise.all([ttfp.hub.stop(), ttfp.spoke.stop()]);
    await deleteClusters("ttfp-hub", "ttfp-spoke");
    const rss = await rssWithPeers();

    const f = (n: number, d = 0) => n.toFixed(d);
    console.log(
      `\nrelay vs direct: open-loop UDP through the tunnel, ${PAYLOAD}-byte payloads, ${BLAST_MS / 1000} s each, one process\n`,
    );
    console.log("path      datagrams/s   Mbit/s   delivered");
    for (const [label, b] of [
      ["direct", tp.direct],
      ["relay", tp.relay],
    ] as const) {
      console.log(
        `${label.padEnd(8)}  ${f(b.datagramsPerSecond).padStart(11)}  ${f(b.mbitPerSecond, 1).padStart(7)}   ${b.received}/${b.sent}`,
      );
    }
    console.log(`ratio relay/direct: ${tp.ratio.toFixed(2)}x (target >= 0.3x)`);
    const fr = tp.frames;
    console.log(
      "\nwhat the relay object sees (both directions; messages = WebSocket messages into the object)\n",
    );
    console.log(
      "workload                 seconds  datagrams  messages  datagrams/message  messages/s  pings/s",
    );
    const row = (label: string, x: FrameSample) =>
      console.log(
        `${label.padEnd(23)}  ${f(x.seconds, 1).padStart(7)}  ${String(x.datagrams).padStart(9)}  ${String(x.frames).padStart(8)}  ${f(x.datagramsPerFrame, 1).padStart(17)}  ${f(x.messagesPerSecond, 2).padStart(10)}  ${f(x.pingsPerSecond, 2).padStart(7)}`,
      );
    row("bulk TCP (relay forced)", fr.bulk);
    row("UDP flood", fr.flood);
    row("one ping a second", fr.ping);
    row("idle pair", fr.idle);
    const bulkData = fr.bulk.perDirection.a;
    const bulkAcks = fr.bulk.perDirection.b;
    console.log(
      `bulk TCP by direction: data ${f(bulkData.datagramsOut / Math.max(1, bulkData.framesOut), 1)} datagrams/message, ACKs ${f(bulkAcks.datagramsOut / Math.max(1, bulkAcks.framesOut), 1)}`,
    );
    console.log(
      `modeled ceiling per pair at ${OBJECT_MESSAGES_PER_SECOND} messages/s (bulk TCP's user bytes per message, both directions): ${f(fr.bulkCeilingMbit)} Mbit/s`,
    );
    console.log(
      `\ntime to first packet after both agents up: ${f(ttfp.fromUpMs)} ms (target <= 1000); from spawn: ${f(ttfp.fromSpawnMs)} ms`,
    );
    console.log(
      `fall back to relay after UDP cut: ${fallbacks.map((x) => f(x)).join(", ")} ms, median ${f(median(fallbacks))} (target <= 3000)`,
    );
    console.log(
      `back to direct after restore:     ${recoveries.map((x) => f(x)).join(", ")} ms, median ${f(median(recoveries))} (target <= 10000)`,
    );
    console.log(
      `agent RSS: ${f(rss.oneKiB / 1024, 1)} MiB with 1 peer, ${f(rss.hundredKiB / 1024, 1)} MiB with ${RSS_PEERS} peers (${f(rss.perPeerKiB, 1)} KiB per peer)`,
    );
    console.log(
      `BENCH_JSON ${JSON.stringify({
        baseline: "direct UDP path through the same agents",
        directDatagramsPerSecond: Math.round(tp.direct.datagramsPerSecond),
        relayDatagramsPerSecond: Math.round(tp.relay.datagramsPerSecond),
        relayRatio: Number(tp.ratio.toFixed(3)),
        datagramsPerMessage: {
          bulkTcp: Number(fr.bulk.datagramsPerFrame.toFixed(2)),
          bulkTcpData: Number((bulkData.datagramsOut / Math.max(1, bulkData.framesOut)).toFixed(2)),
          bulkTcpAcks: Number((bulkAcks.datagramsOut / Math.max(1, bulkAcks.framesOut)).toFixed(2)),
          flood: Number(fr.flood.datagramsPerFrame.toFixed(2)),
          ping: Number(fr.ping.datagramsPerFrame.toFixed(2)),
          idle: Number(fr.idle.datagramsPerFrame.toFixed(2)),
        },
        idleMessagesPerSecond: Number(fr.idle.messagesPerSecond.toFixed(3)),
        idleSeconds: Math.round(fr.idle.seconds),
        pingMessagesPerSecond: Number(fr.ping.messagesPerSecond.toFixed(2)),
        modeledCeilingMbitPerPair: Math.round(fr.bulkCeilingMbit),
        timeToFirstPacketMs: Math.round(ttfp.fromUpMs),
        timeToFirstPacketFromSpawnMs: Math.round(ttfp.fromSpawnMs),
        fallbackMs: fallbacks.map(Math.round),
        backToDirectMs: recoveries.map(Math.round),
        rssOnePeerKiB: rss.oneKiB,
        rss100PeersKiB: rss.hundredKiB,
        targets: {
          relayRatio: 0.3,
          timeToFirstPacketMs: 1000,
          fallbackMs: 3000,
          backToDirectMs: 10000,
          bulkTcpDatagramsPerMessage: 30,
          modeledCeilingMbitPerPair: 350,
          idleMessagesPerSecond: 0.1,
        },
      })}`,
    );
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
