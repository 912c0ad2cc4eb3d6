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
import { pollUntil } from "../helpers/netns.ts";
import { runTether } from "../helpers/run-cli.ts";
import { SINK_PORT } from "../helpers/tcp-services.ts";
import { streamSha256 } from "../helpers/tcp-stream.ts";
import { REPO_ROOT } from "../helpers/topology.ts";
import { buildNatLab, type NatLab, PLATFORM_IP, type SiteName } from "./nat-lab.ts";

const MB = 1024 * 1024;
/**
 * The issue asks for 50 MB under 5% loss and 50 ms delay; CI moves 3 MB (see the README),
 * TETHER_NAT_LOSSY_MB=50 for all of it. 50 MB took 682 s with the
 * stack before RACK-TLP and SACK recovery, 83 s (0.60 MB/s) after; 3 MB keeps the CI scenario short.
 */
const LOSSY_MB = Number(process.env.TETHER_NAT_LOSSY_MB ?? 3);
/** One way, each direction: a round trip through site A's link gains twice this. */
const LOSSY_DELAY_MS = 50;
/** Room for the lossy transfer: at least 25 KB/s (it is slow: loss and a 100 ms round trip). */
const LOSSY_TRANSFER_MS = 120_000 + LOSSY_MB * 40_000;
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

/**
 * A new spoke cluster and its agent at `site`, exposing the sink service there. `startAfterMs`:
 * how long after creating the cluster its agent starts (a user copying the connect command).
 */
async function newSpoke(site: SiteName = "b", startAfterMs = 0): Promise<AgentProcess> {
  const name = `site-${site}-${++spokeCount}`;
  const psk = await addCluster(name);
  const values = `expose:\n  - { port: ${EXPOSED_SINK}, target: "127.0.0.1:${SINK_PORT}" }\n`;
  const r = await lab.api("PATCH", `/api/v1/clusters/${name}`, {
    annotations: { "loft.sh/agent-values": values },
  });
  expect(r.status).toBe(200);
  if (startAfterMs > 0) await new Promise((res) => setTimeout(res, startAfterMs));
  const a = await lab.startAgent(site, { cluster: name, psk, heartbeatSeconds: 5 });
  spokes.push(a);
  return a;
}

async function peerPath(a: AgentProcess, peer: string): Promise<string> {
  return (await a.status()).peers.find((p) => p.cluster === peer)?.path ?? "absent";
}

/** Writes every agent's log to test-artifacts/ and rethrows with `a`'s view of its peers. */
async function failWithLogs(err: Error, a: AgentProcess): Promise<never> {
  const st = await a.status().catch(() => null);
  const view = st && { endpoints: st.endpoints, peers: st.peers, counters: st.counters };
  mkdirSync(join(REPO_ROOT, "test-artifacts"), { recursive: true });
  for (const x of [hub, ...spokes])
    writeFileSync(join(REPO_ROOT, "test-artifacts", `nat-${x.cluster}.log`), x.log());
  throw new Error(`${err.message}\n${a.cluster} status: ${JSON.stringify(view)}`);
}

/** Milliseconds from `since` until `a` reports `path` to `peer` (polled every 50 ms). */
async function timeUntilPath(a: AgentProcess, peer: string, path: string, since: number, timeoutMs: number) {
  await pollUntil(`${a.cluster} -> ${peer} on ${path}`, async () => (await peerPath(a, peer)) === path, {
    tries: Math.ceil(timeoutMs / 50),
    intervalMs: 50,
  }).catch((err: Error) => failWithLogs(err, a));
  return performance.now() - since;
}

/** Milliseconds from `since` until the hub is direct to `peer` on an endpoint other than `old` (a new mapping). */
async function timeUntilNewDirect(peer: string, old: string | null, since: number): Promise<number> {
  return pollUntil(
    `hub -> ${peer} direct on a new mapping`,
    async () => {
      const v = (await hub.status()).peers.find((p) => p.cluster === peer);
      return v?.path === "direct" && v.endpoint !== old ? performance.now() - since : false;
    },
    { tries: 600, intervalMs: 50 },
  ).catch((err: Error) => failWithLogs(err, hub));
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

/** `ping -c 5` from site A to the platform address; the average round trip. */
async function pingPlatformFromSiteA(): Promise<{ avgMs: number; received: number }> {
  const out = await lab.sites.a.ns.run("ping", ["-n", "-q", "-c", "5", "-i", "0.2", PLATFORM_IP], 30_000);
  const avg = /= [\d.]+\/([\d.]+)\//.exec(out);
  const received = /(\d+) received/.exec(out);
  if (!avg || !received) throw new Error(`unexpected ping output: ${out}`);
  return { avgMs: Number(avg[1]), received: Number(received[1]) };
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
    const w = [24, 50, 30];
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
  // TETHER_NAT_LOGS=1 keeps every agent's log (test-artifacts/nat-*.log) even when all pass.
  if (process.env.TETHER_NAT_LOGS && hub) {
    mkdirSync(join(REPO_ROOT, "test-artifacts"), { recursive: true });
    for (const x of [hub, ...spokes])
      writeFileSync(join(REPO_ROOT, "test-artifacts", `nat-${x.cluster}.log`), x.log());
  }
  for (const a of spokes) await a.stop(true).catch(() => {});
  await hub?.stop(true).catch(() => {});
  await lab.cleanup();
}, 60_000);

describe("NAT traversal in network namespaces", () => {
  it("1. both sites behind endpoint-independent NAT: hole punching makes the path direct", async () => {
    // Connect Cluster: the cluster is created, then its agent starts once someone runs the command
    // (here 6 s later, more than one heartbeat). Meanwhile the platform has the hub heartbeat every
    // second (a peer is awaited), so it learns of the spoke within a second of its registration.
    // An agent started within one heartbeat of its cluster's creation waits up to that heartbeat
    // (5 s) more: the hub has not heard of the cluster yet.
    const spoke = await newSpoke("b", 6_000);
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

  it("3. UDP blocked at one site: the relay takes over, direct returns, a TCP stream crosses both byte-exact", async () => {
    const spoke = spokes[0]!;
    const port = await forwardFromHub(`${spoke.cluster}:${EXPOSED_SINK}`);
    const bytes = 24 * MB;
    // Paced at 1.5 MB/s, so the stream is still running across both switches.
    const transfer = sendFromSiteA(port, bytes, "nat-switch", 120_000, 1.5 * MB);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await peerPath(hub, spoke.cluster)).toBe("direct");
    await lab.blockUdp("a", true);
    const blockedAt = performance.now();
    const toRelay = await timeUntilPath(hub, spoke.cluster, "relay", blockedAt, 15_000);
    await new Promise((r) => setTimeout(r, 4_000));
    await lab.blockUdp("a", false);
    const unblockedAt = performance.now();
    const toDirect = await timeUntilPath(hub, spoke.cluster, "direct", unblockedAt, 30_000);
    const done = await transfer;
    expect(done.answer).toBe(`${bytes} ${streamSha256("nat-switch", bytes)}`);
    record("3 UDP blocked at site A", "block -> relay", ms(toRelay), "<= 3 s");
    record("3 UDP blocked at site A", "unblock -> direct", ms(toDirect), "<= 10 s");
    record(
      "3 UDP blocked at site A",
      "24 MB stream across both switches",
      `byte-exact, ${done.seconds.toFixed(1)} s`,
      "byte-exact",
    );
  }, 180_000);

  it("4. the platform restarts during traffic: direct is not interrupted, the relay reconnects", async () => {
    const spoke = spokes[0]!;
    const before = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!;
    expect(before.path).toBe("direct");
    const pings = hub.ping({ target: spoke.cluster, count: 60, intervalMs: 200 });
    const t0 = performance.now();
    await lab.platform.restart();
    const restartMs = performance.now() - t0;
    const report = await pings;
    expect(report.received).toBe(60);
    expect(report.probes.every((p) => p.path === "direct")).toBe(true);
    const healthyAt = performance.now();
    await pollUntil(
      "hub relay reconnected",
      async () => {
        const p = (await hub.status()).peers.find((x) => x.cluster === spoke.cluster)!;
        return p.relay === "open" && p.relayReconnects > before.relayReconnects;
      },
      { tries: 600, intervalMs: 50 },
    );
    const relayBack = performance.now() - healthyAt;
    record("4 platform restart", "restart (kill -> /healthz ok)", ms(restartMs), "");
    record(
      "4 platform restart",
      "direct pings during restart",
      `${report.received}/60 answered, all direct`,
      "no loss",
    );
    record("4 platform restart", "healthy -> relay reconnected", ms(relayBack), "reconnects");
  }, 240_000);

  it("5. an agent restarts: same identity, online and direct again", async () => {
    // Run alone (-t "agent restarts"), the scenarios before it have not made a spoke.
    if (spokes.length === 0) await newSpoke();
    const old = spokes.shift()!;
    await timeUntilPath(hub, old.cluster, "direct", performance.now(), 30_000);
    const st = await old.status();
    const oldEndpoint = (await hub.status()).peers.find((p) => p.cluster === old.cluster)!.endpoint;
    await old.stop();
    const t0 = performance.now();
    const again = await lab.startAgent("b", {
      cluster: old.cluster,
      psk: "unused-after-registration",
      stateDir: old.stateDir,
      heartbeatSeconds: 5,
    });
    spokes.unshift(again);
    const upMs = performance.now() - t0;
    const now = await again.status();
    expect(now.publicKey).toBe(st.publicKey);
    expect(now.meshIp).toBe(st.meshIp);
    const onlineMs = await pollUntil(
      "online in the API",
      async () => {
        const c = await lab.api<{ status: { online: boolean } }>("GET", `/api/v1/clusters/${old.cluster}`);
        return c.body.status.online ? performance.now() - t0 : false;
      },
      { tries: 400, intervalMs: 50 },
    );
    // The hub must be talking to the new process, and "direct" must mean its new mapping: the old
    // direct endpoint is the dead process's NAT mapping (the new one has a new port), where a
    // "direct" path proves nothing. A fresh process has no handshake until it makes one.
    const sessionMs = await pollUntil(
      "the restarted agent has a session with the hub",
      async () => {
        const p = (await again.status()).peers.find((x) => x.cluster === "hq");
        return p?.lastHandshakeAgeSeconds !== null && p?.lastHandshakeAgeSeconds !== undefined
          ? performance.now() - t0
          : false;
      },
      { tries: 400, intervalMs: 50 },
    ).catch((err: Error) => failWithLogs(err, again));
    const directMs = await timeUntilNewDirect(old.cluster, oldEndpoint, t0);
    const ping = await hub.ping({ target: old.cluster, count: 3, intervalMs: 100 });
    expect(ping.received).toBe(3);
    record("5 agent restart", "spawn -> agent up", ms(upMs), "");
    record("5 agent restart", "spawn -> online in the API", ms(onlineMs), "<= 5 s");
    record("5 agent restart", "spawn -> new session with the hub", ms(sessionMs), "");
    record("5 agent restart", "spawn -> direct again (hub side)", ms(directMs), "");
  }, 120_000);

  it(
    "6. 5% loss and 50 ms delay on site A's link: a transfer through forward -> expose arrives byte-exact",
    async () => {
      // Run alone (-t "5%"), the scenarios before it have not made a spoke.
      const spoke = spokes[0] ?? (await newSpoke());
      await timeUntilPath(hub, spoke.cluster, "direct", performance.now(), 30_000);
      const port = await forwardFromHub(`${spoke.cluster}:${EXPOSED_SINK}`);
      const scenario = "6 5% loss, 50 ms delay";
      const plainPing = await pingPlatformFromSiteA();
      const plainHub = await hub.ping({ target: spoke.cluster, count: 5, intervalMs: 200 });
      // Delay in user space (link-delay.py; no netem here): 50 ms each way, on every packet between
      // site A's router and the rest of the lab. Loss in the kernel, both directions, on the internet
      // side of site A (iptables statistic); with the delay on, the site's packets are forwarded
      // through the delay element, so these rules see its traffic with the platform too.
      const rules = [
        ["FORWARD", "-i", lab.sites.a.inetIf],
        ["FORWARD", "-o", lab.sites.a.inetIf],
      ];
      const loss = ["-m", "statistic", "--mode", "random", "--probability", "0.05", "-j", "DROP"];
      await lab.delayLink("a", LOSSY_DELAY_MS);
      try {
        // Round trips through the delayed link, measured before the loss is switched on.
        const delayedPing = await pingPlatformFromSiteA();
        const delayedHub = await hub.ping({ target: spoke.cluster, count: 5, intervalMs: 200 });
        for (const r of rules) await lab.inet.run("iptables", ["-I", ...r, ...loss]);
        const bytes = LOSSY_MB * MB;
        const done = await sendFromSiteA(port, bytes, "nat-lossy", LOSSY_TRANSFER_MS);
        expect(done.answer).toBe(`${bytes} ${streamSha256("nat-lossy", bytes)}`);
        const pathAfter = await peerPath(hub, spoke.cluster);
        const counted = await lab.inet.run("iptables", ["-L", "FORWARD", "-v", "-n", "-x"]);
        const dropped = [...counted.matchAll(/^\s*(\d+)\s+\d+\s+DROP.*statistic/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
        expect(dropped).toBeGreaterThan(0);
        const delayed = await lab.linkDelayCounters("a");
        expect(delayed.fromSite).toBeGreaterThan(0);
        expect(delayed.toSite).toBeGreaterThan(0);
        const rtt = (r: { rttMs: { avg: number } | null }) => (r.rttMs ? `${r.rttMs.avg.toFixed(1)}` : "-");
        record(
          scenario,
          "ping site A -> platform, avg (no delay / delay)",
          `${plainPing.avgMs.toFixed(1)} / ${delayedPing.avgMs.toFixed(1)} ms`,
          `+${2 * LOSSY_DELAY_MS} ms`,
        );
        record(
          scenario,
          "hub -> spoke tunnel ping, avg (no delay / delay)",
          `${rtt(plainHub)} / ${rtt(delayedHub)} ms`,
          `+${2 * LOSSY_DELAY_MS} ms`,
        );
        record(
          scenario,
          `${LOSSY_MB} MB forward -> expose (path after: ${pathAfter})`,
          `byte-exact, ${(LOSSY_MB / done.seconds).toFixed(3)} MB/s, ${done.seconds.toFixed(1)} s`,
          "byte-exact",
        );
        record(scenario, "packets dropped by the lossy link", String(dropped), "");
        record(
          scenario,
          "delay element: from site / to site / dropped",
          `${delayed.fromSite} / ${delayed.toSite} / ${delayed.dropped}`,
          "both > 0",
        );
      } finally {
        for (const r of rules) await lab.inet.exec("iptables", ["-D", ...r, ...loss]);
        await lab.delayLink("a", null);
      }
    },
    LOSSY_TRANSFER_MS + 120_000,
  );

  it("7. the network changes under a running agent: it notices, carries on over the relay, and punches a new hole", async () => {
    const spoke = spokes[0] ?? (await newSpoke());
    await timeUntilPath(hub, spoke.cluster, "direct", performance.now(), 30_000);
    const oldEndpoint = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!.endpoint;
    const changesBefore = (await spoke.status()).counters.networkChanges ?? 0;
    const scenario = "7 network change at site B";
    const t0 = performance.now();
    // Every mapping and connection site B had (direct path, relay socket) now leads to an address
    // that is gone; the agent's UDP socket (bound to any address) keeps running.
    await lab.renumberSite("b", "192.168.1.3");
    const noticedMs = await pollUntil(
      "the spoke notices its network changed",
      async () =>
        ((await spoke.status()).counters.networkChanges ?? 0) > changesBefore
          ? performance.now() - t0
          : false,
      { tries: 200, intervalMs: 50 },
    );
    // First answered ping from the hub, on whatever path works first.
    let firstPath = "";
    const reachMs = await pollUntil(
      "the hub reaches the spoke again",
      async () => {
        const r = await hub.ping({ target: spoke.cluster, count: 1, timeoutMs: 500 });
        if (r.received !== 1) return false;
        firstPath = r.probes[0]?.path ?? "";
        return performance.now() - t0;
      },
      { tries: 60, intervalMs: 0 },
    );
    // Direct again, through a new hole: the router mapped the new address to a new public port.
    const directMs = await timeUntilNewDirect(spoke.cluster, oldEndpoint, t0);
    const view = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!;
    expect(view.endpoint?.startsWith(`${lab.sites.b.publicIp}:`)).toBe(true);
    const after = await hub.ping({ target: spoke.cluster, count: 5, intervalMs: 100 });
    expect(after.received).toBe(5);
    expect(after.probes.every((p) => p.path === "direct")).toBe(true);
    record(scenario, "address change -> agent notices", ms(noticedMs), "fast");
    record(scenario, `address change -> hub reaches spoke (${firstPath})`, ms(reachMs), "");
    record(scenario, "address change -> direct on a new mapping", ms(directMs), "");
  }, 120_000);

  it("2. one side behind symmetric NAT: the relay carries the traffic and stays usable", async () => {
    await lab.setNat("a", "symmetric");
    // The hub restarts on a new port, so every mapping it gets is made under the new rule.
    const stateDir = hub.stateDir;
    await hub.stop();
    hub = await lab.startAgent("a", { cluster: "hq", psk: hubPsk, stateDir, heartbeatSeconds: 5 });
    const spoke = await newSpoke();
    const t0 = performance.now();
    const relayMs = await timeUntilPath(hub, spoke.cluster, "relay", t0, 30_000);
    // Give hole punching every chance: it must not find a direct path through a symmetric NAT.
    await new Promise((r) => setTimeout(r, 8_000));
    const port = await forwardFromHub(`${spoke.cluster}:${EXPOSED_SINK}`);
    const bytes = 8 * MB;
    const done = await sendFromSiteA(port, bytes, "nat-symmetric", 120_000);
    expect(done.answer).toBe(`${bytes} ${streamSha256("nat-symmetric", bytes)}`);
    const ping = await hub.ping({ target: spoke.cluster, count: 10, intervalMs: 100 });
    expect(ping.received).toBe(10);
    expect(ping.probes.every((p) => p.path === "relay")).toBe(true);
    const view = (await hub.status()).peers.find((p) => p.cluster === spoke.cluster)!;
    expect(view.path).toBe("relay");
    record("2 symmetric NAT at site A", "spoke up -> relay", ms(relayMs), "");
    record(
      "2 symmetric NAT at site A",
      "8 MB + 10 pings after 8 s more",
      `byte-exact, ${(8 / done.seconds).toFixed(1)} MB/s, 10/10 relay`,
      "relay stays usable",
    );
  }, 180_000);
});
