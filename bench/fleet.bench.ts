/**
 * The control plane at fleet scale, against a real local platform (workerd, local D1, the
 * control Durable Objects): N simulated agents (bench/fleet-sim.ts, no WireGuard) in hub
 * policy, one hub and N spokes, each run twice in the same process: "push" (the control
 * channel) and "poll" (HTTP heartbeats every 5 s, the design before it). For each:
 *
 * 1. steady state over FLEET_WINDOW_S seconds: D1 rows read and written, Worker requests,
 *    Durable Object requests and incoming WebSocket messages (billed 20:1), per agent-hour,
 *    from the platform's own counters (TETHER_BENCH_COUNTERS=1: GET /__bench/counters);
 * 2. "cluster created -> the hub has it": a new cluster is created and its agent registers;
 *    the time until the hub's netmap shows it (FLEET_EVENTS times; p50/p99);
 * 3. fan-out: the hub's endpoints change; the time until each spoke's netmap shows them
 *    (p50/p99 over every spoke, FLEET_FANOUTS times: the first onto hibernated objects, the
 *    rest right after, onto awake ones);
 * 4. deletion: each created cluster is deleted; the DELETE's time and the time until the hub's
 *    netmap drops it (p50/p99);
 * 5. reconnect storm: the platform restarts (workerd stopped and started on the same state);
 *    the time until every agent is back and current.
 *
 *   npm run bench -- fleet                    # N = 100 and 1000
 *   FLEET_N=100,1000,5000 npm run bench -- fleet
 *   FLEET_MODES=poll ...                      # one design only
 *
 * Targets: push steady state <= 2 D1 rows written per agent-hour and no O(N) reads; p99 of
 * change propagation <= 1 s at N = 1000.
 */
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, keyToBase64, publicKeyFrom } from "../agent/wireguard/index.ts";
import type { CreateClusterResponse } from "../protocol/api.ts";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";
import { registerSim, SimAgent, type SimMode } from "./fleet-sim.ts";

const SIZES = (process.env.FLEET_N ?? "100,1000").split(",").map(Number);
const WINDOW_S = Number(process.env.FLEET_WINDOW_S ?? 60);
const EVENTS = Number(process.env.FLEET_EVENTS ?? 10);
const FANOUTS = Number(process.env.FLEET_FANOUTS ?? 3);
const SETUP_CONCURRENCY = 16;
/** Which designs to run; "poll" alone runs against any platform (e.g. a checkout from before the channel). */
const MODES = (process.env.FLEET_MODES ?? "push,poll").split(",") as SimMode[];

interface Counters {
  workerRequests: number;
  doRequests: number;
  doWebSocketMessagesIn: number;
  doWebSocketMessagesOut: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
}

interface ModeResult {
  mode: SimMode;
  n: number;
  perAgentHour: {
    d1RowsWritten: number;
    d1RowsRead: number;
    workerRequests: number;
    doRequests: number;
    doWebSocketMessagesIn: number;
    /** DO requests as billed: RPC/fetch calls plus incoming WebSocket messages at 20:1. */
    doBilledRequests: number;
  };
  /** What one event costs, over the events run: a cluster created and registered; the hub moving. */
  perEvent: { created: EventCost; hubMoved: EventCost };
  createdToHub: { p50: number; p99: number; max: number };
  /** The first fan-out, onto hibernated objects. */
  fanOutCold: { p50: number; p99: number; max: number };
  /** The later fan-outs, right after it, onto awake objects. */
  fanOut: { p50: number; p99: number; max: number };
  deleteCall: { p50: number; p99: number; max: number };
  deletedFromHub: { p50: number; p99: number; max: number };
  storm: { fromRestartMs: number; fromReadyMs: number };
  /** Channel closes the agents saw during the steady-state window, by close code. */
  steadyCloses: Record<string, number>;
}

interface EventCost {
  d1RowsWritten: number;
  d1RowsRead: number;
  workerRequests: number;
  doBilledRequests: number;
}

function eventCost(d: Counters, events: number, adminRequests: number): EventCost {
  return {
    d1RowsWritten: d.d1RowsWritten / events,
    d1RowsRead: d.d1RowsRead / events,
    // The bench's own admin calls (create, delete) are not the design's cost.
    workerRequests: (d.workerRequests - adminRequests) / events,
    doBilledRequests: (d.doRequests + d.doWebSocketMessagesIn / 20) / events,
  };
}

let platform: Platform;

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

async function counters(): Promise<Counters> {
  return api<Counters>("GET", "/__bench/counters");
}

function diff(a: Counters, b: Counters): Counters {
  const out = { ...b };
  for (const k of Object.keys(out) as (keyof Counters)[]) out[k] = b[k] - a[k];
  // The second counters request itself.
  out.workerRequests -= 1;
  return out;
}

function publicKey(): string {
  return keyToBase64(publicKeyFrom(generatePrivateKey()));
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += SETUP_CONCURRENCY) {
    await Promise.all(items.slice(i, i + SETUP_CONCURRENCY).map(fn));
  }
}

async function newCluster(name: string, local = false): Promise<string> {
  const r = await api<CreateClusterResponse>("POST", "/api/v1/clusters", { name, displayName: name, local });
  return r.psk;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
}

function summary(xs: number[]) {
  return { p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitAll(what: string, sims: SimAgent[], done: (s: SimAgent) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!sims.every(done)) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: ${sims.filter((s) => !done(s)).length} of ${sims.length} not there in ${ms} ms`,
      );
    }
    await sleep(50);
  }
}

function waitFor(sim: SimAgent, check: () => boolean, ms: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${sim.cluster}: not within ${ms} ms`)), ms);
    sim.watch(() => {
      if (!check()) return false;
      clearTimeout(t);
      resolve(performance.now() - start);
      return true;
    });
  });
}

interface Fleet {
  hub: { cluster: string; credential: string };
  spokes: { cluster: string; credential: string }[];
}

async function registerFleet(n: number): Promise<Fleet> {
  const hubPsk = await newCluster("hub", true);
  const hub = { cluster: "hub", credential: await registerSim(platform.url, "hub", hubPsk, publicKey()) };
  const spokes: Fleet["spokes"] = [];
  const names = Array.from({ length: n }, (_, i) => `spoke-${i}`);
  await inBatches(names, async (name) => {
    const psk = await newCluster(name);
    spokes.push({ cluster: name, credential: await registerSim(platform.url, name, psk, publicKey()) });
  });
  return { hub, spokes };
}

async function runMode(mode: SimMode, fleet: Fleet, n: number): Promise<ModeResult> {
  const hub = new SimAgent(platform.url, fleet.hub.cluster, fleet.hub.credential, mode, 40000);
  const spokes = fleet.spokes.map(
    (s, i) => new SimAgent(platform.url, s.cluster, s.credential, mode, 41000 + i),
  );
  const all = [hub, ...spokes];
  try {
    for (const s of all) s.start();
    await waitAll(`${mode}: every agent has its netmap`, all, (s) => s.netmap !== null, 180_000);
    await waitAll(
      `${mode}: the hub sees every spoke`,
      [hub],
      (s) => (s.netmap?.peers.length ?? 0) >= n,
      60_000,
    );
    await sleep(3_000);

    // 1. Steady state.
    for (const s of all) s.closes.clear();
    const c0 = await counters();
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const d = diff(c0, await counters());
    const steadyCloses: Record<string, number> = {};
    for (const s of all) for (const [code, n] of s.closes) steadyCloses[code] = (steadyCloses[code] ?? 0) + n;
    const hours = (performance.now() - t0) / 3_600_000;
    const per = (x: number) => x / all.length / hours;

    // 2. A new cluster's agent registers; the hub has it.
    const c2 = await counters();
    const created: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const name = `new-${mode}-${i}`;
      const psk = await newCluster(name);
      const seen = waitFor(hub, () => hub.has(name), 30_000);
      await registerSim(platform.url, name, psk, publicKey());
      created.push(await seen);
    }

    // 3. The hub moves; every spoke hears of it.
    const c3 = await counters();
    // The first fan-out finds the spokes' objects hibernated (idle through the steady state); the
    // next ones follow at once, while they are still awake. Both are kept: the difference is what
    // waking costs (the runtime's, not the push handler's).
    const fanOut: number[] = [];
    const fanOutCold: number[] = [];
    for (let i = 0; i < FANOUTS; i++) {
      const moved = `127.0.0.1:${50000 + i}`;
      const seen = spokes.map((s) =>
        waitFor(s, () => s.peerEndpoints("hub")?.includes(moved) ?? false, 60_000),
      );
      hub.moveTo([moved]);
      (i === 0 ? fanOutCold : fanOut).push(...(await Promise.all(seen)));
    }

    const c4 = await counters();

    // 4. The created clusters are deleted; the hub drops each. The DELETE's own time is kept
    // too: it closes the cluster's relays and channel before it answers.
    const deleteCall: number[] = [];
    const deletedFromHub: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const name = `new-${mode}-${i}`;
      const gone = waitFor(hub, () => !hub.has(name), 30_000);
      const t = performance.now();
      await api("DELETE", `/api/v1/clusters/${name}`);
      deleteCall.push(performance.now() - t);
      deletedFromHub.push(await gone);
    }

    // 5. Reconnect storm.
    const before = new Map(all.map((s) => [s, s.generation]));
    const restartAt = performance.now();
    await platform.restart();
    const readyAt = performance.now();
    await waitAll(
      `${mode}: every agent back after the restart`,
      all,
      (s) => s.generation > (before.get(s) ?? 0),
      300_000,
    );
    const backAt = performance.now();

    return {
      mode,
      n,
      perAgentHour: {
        d1RowsWritten: per(d.d1RowsWritten),
        d1RowsRead: per(d.d1RowsRead),
        workerRequests: per(d.workerRequests),
        doRequests: per(d.doRequests),
        doWebSocketMessagesIn: per(d.doWebSocketMessagesIn),
        doBilledRequests: per(d.doRequests + d.doWebSocketMessagesIn / 20),
      },
      perEvent: {
        // Each created event: POST /clusters (the admin's) and POST /register (the agent's).
        created: eventCost(diff(c2, c3), EVENTS, EVENTS),
        hubMoved: eventCost(diff(c3, c4), FANOUTS, 0),
      },
      createdToHub: summary(created),
      fanOutCold: summary(fanOutCold),
      fanOut: summary(fanOut),
      deleteCall: summary(deleteCall),
      deletedFromHub: summary(deletedFromHub),
      storm: { fromRestartMs: backAt - restartAt, fromReadyMs: backAt - readyAt },
      steadyCloses,
    };
  } finally {
    for (const s of all) s.stop();
  }
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const ratio = (poll: number, push: number) => (push === 0 ? (poll === 0 ? "1" : "inf") : fmt(poll / push, 0));

function print(results: ModeResult[]): void {
  for (const n of SIZES) {
    const push = results.find((r) => r.n === n && r.mode === "push");
    const poll = results.find((r) => r.n === n && r.mode === "poll");
    if (!push || !poll) continue;
    console.log(`\nN = ${n} spokes + 1 hub (hub policy), steady state over ${WINDOW_S} s`);
    console.log("  per agent-hour            push (new)    poll (old)    old/new");
    for (const k of Object.keys(push.perAgentHour) as (keyof ModeResult["perAgentHour"])[]) {
      const a = push.perAgentHour[k];
      const b = poll.perAgentHour[k];
      console.log(
        `  ${k.padEnd(24)} ${fmt(a, 2).padStart(12)} ${fmt(b, 2).padStart(13)} ${ratio(b, a).padStart(10)}`,
      );
    }
    const ms = (s: { p50: number; p99: number }) => `p50 ${fmt(s.p50, 0)} ms, p99 ${fmt(s.p99, 0)} ms`;
    console.log(`  created -> hub has it     push ${ms(push.createdToHub)}   poll ${ms(poll.createdToHub)}`);
    for (const e of ["created", "hubMoved"] as const) {
      const c = (r: ModeResult) =>
        `${fmt(r.perEvent[e].d1RowsWritten, 0)} rows written, ${fmt(r.perEvent[e].d1RowsRead, 0)} read, ${fmt(r.perEvent[e].doBilledRequests, 1)} DO req`;
      console.log(`  per ${e.padEnd(21)} push ${c(push)}   poll ${c(poll)}`);
    }
    console.log(
      `  hub moved -> every spoke  push ${ms(push.fanOutCold)}   poll ${ms(poll.fanOutCold)}   (first: objects hibernated)`,
    );
    console.log(
      `  ... again at once         push ${ms(push.fanOut)}   poll ${ms(poll.fanOut)}   (objects awake)`,
    );
    console.log(`  DELETE answered           push ${ms(push.deleteCall)}   poll ${ms(poll.deleteCall)}`);
    console.log(
      `  deleted -> hub drops it   push ${ms(push.deletedFromHub)}   poll ${ms(poll.deletedFromHub)}`,
    );
    console.log(
      `  reconnect storm           push ${fmt(push.storm.fromReadyMs / 1000)} s after ready (${fmt(push.storm.fromRestartMs / 1000)} s after restart)   poll ${fmt(poll.storm.fromReadyMs / 1000)} s (${fmt(poll.storm.fromRestartMs / 1000)} s)`,
    );
  }
}

async function main(): Promise<void> {
  const results: ModeResult[] = [];
  for (const n of SIZES) {
    platform = await startPlatform({ vars: { TETHER_BENCH_COUNTERS: "1" } });
    console.log(`N=${n}: platform ${platform.url} (${platform.persistDir})`);
    try {
      await api("PUT", "/api/v1/config", { peering: "hub", agentValues: {} });
      const setupStart = performance.now();
      const fleet = await registerFleet(n);
      console.log(
        `N=${n}: ${n + 1} clusters created and registered in ${fmt((performance.now() - setupStart) / 1000)} s`,
      );
      for (const mode of MODES) {
        const r = await runMode(mode, fleet, n);
        console.log(`N=${n} ${mode}: ${JSON.stringify(r)}`);
        results.push(r);
      }
    } catch (e) {
      console.log(`N=${n}: failed: ${(e as Error).message}`);
      // The platform's log goes with its state directory; keep a copy to see why.
      const kept = join(tmpdir(), `fleet-bench-platform-${n}-${Date.now()}.log`);
      await copyFile(platform.logFile, kept).catch(() => undefined);
      console.log(`N=${n}: platform log kept in ${kept}`);
    } finally {
      await platform.stop();
    }
  }
  print(results);
  console.log(`BENCH_JSON ${JSON.stringify({ baseline: "poll (HTTP heartbeat every 5 s)", results })}`);
}

await main();
