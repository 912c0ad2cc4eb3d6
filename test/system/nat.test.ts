/**
 * Direct when possible, relayed when not, and no data lost, on real kernels,
 * NAT routers and firewalls (nat-lab.ts): two sites behind their own NAT, the
 * platform and a STUN server on the lab's "internet". Real `tether agent up`
 * processes run inside the sites; the hub ("hq", the local cluster) at site A,
 * a fresh spoke per scenario at site B.
 *
 * Every scenario records its timings; afterAll prints them as one table (and
 * writes test-artifacts/nat-scenarios.json). The command that prints it:
 *   npm run test:system -- test/system/nat.test.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import type { AgentProcess } from "../helpers/agent-process.ts";
import { runTether } from "../helpers/run-cli.ts";
import { buildNatLab, type NatLab, type SiteName } from "./nat-lab.ts";
import { pollUntil } from "./netns.ts";
import { SINK_PORT } from "./tcp-services.ts";
import { streamSha256 } from "./tcp-stream.ts";
import { REPO_ROOT } from "./topology.ts";

const MB = 1024 * 1024;
/** The issue asks for 50 MB under loss; CI moves less (see the README), TETHER_NAT_LOSSY_MB=50 for all of it. */
const LOSSY_MB = Number(process.env.TETHER_NAT_LOSSY_MB ?? 4);
const EXPOSED_SINK = 7000;

interface Row {
  scenario: string;
  measure: string;
  value: string;
  target: string;
}
const rows: Row[] = [];
const record = (scenario: string, measure: string, value: string, target = "") =>
  rows.push({ scenario, measure, value, target });
const ms = (n: number) => `${Math.round(n)} ms`;

let lab: NatLab;
let hub: AgentProcess;
let hubPsk = "";
const spokes: AgentProcess[] = [];
let spokeCount = 0;

async function addCluster(name: string, local = false): Promise<string> {
  const r = await lab.api<CreateClusterResponse>("POST", "/api/v1/clusters", {
    name,
    displayName: name,
    local,
  });
  expect(r.status).toBe(201);
  return r.body.psk;
}

/** A new spoke cluster and its agent at `site`, exposing the sink service there. */
async function newSpoke(site: SiteName = "b"): Promise<AgentProcess> {
  const name = `site-${site}-${++spokeCount}`;
  const psk = await addCluster(name);
  const values = `expose:\n  - { port: ${EXPOSED_SINK}, target: "127.0.0.1:${SINK_PORT}" }\n`;
  const r = await lab.api("PATCH", `/api/v1/clusters/${name}`, {
    annotations: { "loft.sh/agent-values": values },
  });
  expect(r.status).toBe(200);
  const a = await lab.startAgent(site, { cluster: name, psk, heartbeatSeconds: 5 });
  spokes.push(a);
  return a;
}

async function peerPath(a: AgentProcess, peer: string): Promise<string> {
  return (await a.status()).peers.find((p) => p.cluster === peer)?.path ?? "absent";
}

/** Milliseconds from `since` until `a` reports `path` to `peer` (polled every 50 ms). */
async function timeUntilPath(a: AgentProcess, peer: string, path: string, since: number, timeoutMs: number) {
  await pollUntil(`${a.cluster} -> ${peer} on ${path}`, async () => (await peerPath(a, peer)) === path, {
    tries: Math.ceil(timeoutMs / 50),
    intervalMs: 50,
  }).catch(async (err: Error) => {
    const st = await a.status().catch(() => null);
    const view = st && { endpoints: st.endpoints, peers: st.peers, counters: st.counters };
    mkdirSync(join(REPO_ROOT, "test-artifacts"), { recursive: true });
    for (const x of [hub, ...spokes])
      writeFileSync(join(REPO_ROOT, "test-artifacts", `nat-${x.cluster}.log`), x.log());
    throw new Error(`${err.message}\n${a.cluster} status: ${JSON.stringify(view)}`);
  });
  return performance.now() - since;
}

async function forwardFromHub(to: string): Promise<number> {
  const r = await runTether(["--json", "agent", "forward", to, "--state", hub.stateDir]);
  expect(r.code, r.stderr).toBe(0);
  const f = JSON.parse(r.stdout) as { address: string };
  return Number(f.address.split(":").at(-1));
}

/** tcp-client.ts inside site A: BYTES to the forward's local port, paced when rate is given; returns its answer. */
async function sendFromSiteA(port: number, bytes: number, seed: string, timeoutMs: number, rate?: number) {
  const args = [
    "--import",
    "tsx",
    `${REPO_ROOT}/test/system/tcp-client.ts`,
    "send",
    "127.0.0.1",
    String(port),
  ];
  args.push(String(bytes), seed, ...(rate ? [String(rate)] : []));
  const r = await lab.sites.a.ns.exec("node", args, timeoutMs);
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0) throw new Error(`tcp-client failed (${r.code}): ${line} ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as { bytes: number; answer: string; seconds: number };
}

beforeAll(async () => {
  // Mappings that idle for 25 s die: the agents' keepalives must come sooner.
  lab = await buildNatLab({ udpTimeoutSeconds: 25 });
  // The sink service behind every spoke's expose, inside site B.
  const target = lab.sites.b.ns.spawn("node", ["--import", "tsx", `${REPO_ROOT}/test/system/tcp-target.ts`], {
    cwd: REPO_ROOT,
  });
  await new Promise<void>((resolve, reject) => {
    target.stdout!.on("data", (c: Buffer) => c.toString().includes("ready") && resolve());
    target.once("exit", (code) => reject(new Error(`tcp-target exited ${code}`)));
  });
  hubPsk = await addCluster("hq", true);
  hub = await lab.startAgent("a", { cluster: "hq", psk: hubPsk, heartbeatSeconds: 5 });
}, 240_000);

afterAll(async () => {
  if (rows.length > 0) {
    const w = [24, 44, 14];
    const line = (r: Row) =>
      `| ${r.scenario.padEnd(w[0]!)} | ${r.measure.padEnd(w[1]!)} | ${r.value.padEnd(w[2]!)} | ${r.target}`;
    console.log(
      [
        "NAT lab scenario timings",
        line({ scenario: "scenario", measure: "measure", value: "value", target: "target" }),
        ...rows.map(line),
      ].join("\n"),
    );
    mkdirSync(join(REPO_ROOT, "test-artifacts"), { recursive: true });
    writeFileSync(
      join(REPO_ROOT, "test-artifacts", "nat-scenarios.json"),
      `${JSON.stringify(rows, null, 2)}\n`,
    );
  }
  if (!lab) return;
  for (const a of spokes) await a.stop(true).catch(() => {});
  await hub?.stop(true).catch(() => {});
  await lab.cleanup();
}, 60_000);

describe("NAT traversal in network namespaces", () => {
  it("1. both sites behind endpoint-independent NAT: hole punching makes the path direct", async () => {
    const spoke = await newSpoke();
    const t0 = performance.now();
    const [hubSide, spokeSide] = await Promise.all([
      timeUntilPath(hub, spoke.cluster, "direct", t0, 30_000),
      timeUntilPath(spoke, "hq", "direct", t0, 30_000),
    ]);
    record(
      "1 EIM NAT both sides",
      "spoke up -> direct (hub side / spoke side)",
      `${ms(hubSide)} / ${ms(spokeSide)}`,
      "<= 5 s",
    );
    // No timing assertion (shared, noisy machine): the table reports the time against the target.
    // The direct path runs between the two routers' public mappings: a punched hole, not a LAN shortcut.
    const hubView = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!;
    expect(hubView.endpoint?.startsWith(`${lab.sites.b.publicIp}:`)).toBe(true);
    const own = await spoke.status();
    expect(own.endpoints.some((e) => e.startsWith(`${lab.sites.b.publicIp}:`))).toBe(true);
    expect(own.counters.callMeMaybeReceived).toBeGreaterThan(0);
    const report = await hub.ping({ target: spoke.cluster, count: 5, intervalMs: 100 });
    expect(report.received).toBe(5);
    expect(report.probes.every((p) => p.path === "direct")).toBe(true);

    // Idle for longer than the routers keep an idle mapping (25 s): keepalives hold the hole open.
    const switchesBefore = hubView.switches;
    await new Promise((r) => setTimeout(r, 35_000));
    const after = await hub.ping({ target: spoke.cluster, count: 3, intervalMs: 100 });
    expect(after.probes.map((p) => [p.ok, p.path])).toEqual([
      [true, "direct"],
      [true, "direct"],
      [true, "direct"],
    ]);
    const hubAfter = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!;
    expect(hubAfter.switches).toBe(switchesBefore);
    record(
      "1 EIM NAT both sides",
      "direct after 35 s idle, 25 s NAT timeout",
      "yes, 0 switches",
      "keepalive < 25 s",
    );
  }, 90_000);
});
