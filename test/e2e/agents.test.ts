/**
 * Two real agents (`tether agent up` child processes) connected through a real
 * local platform (wrangler dev: workerd, local D1, the pair relay's Durable
 * Object), all on loopback. The tests run in order and share the agents:
 * online → direct → cut → relay → restore → direct → platform restart →
 * third agent refused → cluster deleted.
 *
 * The direct path is cut with the agent's UDP fault switch (TETHER_FAULT_INJECTION=1),
 * which drops every datagram in and out of its socket as a firewall would.
 * Real iptables cuts in network namespaces live in the system tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Cluster, CreateClusterResponse } from "../../protocol/api.ts";
import { adminApi } from "../helpers/admin-api.ts";
import { type AgentProcess, agentCredential, startAgent, waitFor } from "../helpers/agent-process.ts";
import { type ConnectProxy, startConnectProxy } from "../helpers/connect-proxy.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";
import { type StunServer, startStunServer } from "../helpers/stun-server.ts";

let platform: Platform;
let workDir: string;
const agents: AgentProcess[] = [];
let hub: AgentProcess;
let spoke: AgentProcess;
const psks: Record<string, string> = {};
let proxy: ConnectProxy;
let stun: StunServer;

const api = <T>(path: string, init: { method?: string; body?: unknown } = {}) =>
  adminApi<T>(platform, path, init);

async function addCluster(name: string, local = false): Promise<void> {
  const r = await api<CreateClusterResponse>("/api/v1/clusters", {
    method: "POST",
    body: { name, displayName: name, local },
  });
  expect(r.status).toBe(201);
  psks[name] = r.body.psk;
}

async function launch(
  cluster: string,
  extra: { stateDir?: string; env?: Record<string, string> } = {},
): Promise<AgentProcess> {
  const a = await startAgent({ platform: platform.url, cluster, psk: psks[cluster]!, ...extra });
  agents.push(a);
  return a;
}

const peerOf = async (a: AgentProcess, peer: string) =>
  (await a.status()).peers.find((p) => p.cluster === peer);

/** The first probe sent at or after `since` that came back, and every probe after it. */
function afterMoment(report: { probes: { sentAtMs: number; ok: boolean; path: string }[] }, since: number) {
  return report.probes.filter((p) => p.sentAtMs >= since);
}

/** Tries a relay WebSocket and reports how it ended: the HTTP status of a refusal, or "open". */
function tryRelay(peer: string, credential: string): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${platform.url.replace(/^http/, "ws")}/relay/${peer}`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    ws.on("open", () => {
      ws.terminate();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("error", reject);
  });
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "tether-agents-e2e-"));
  platform = await startPlatform();
  proxy = await startConnectProxy();
  stun = await startStunServer({ mapHost: "127.0.0.2" });
  await addCluster("hub", true);
  await addCluster("spoke-a");
  await addCluster("spoke-b");
}, 200_000);

// On failure, show what the agents logged: the path changes and relay events explain most failures.
beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    for (const a of agents) {
      const st = await a.status().catch(() => null);
      if (st)
        console.error(
          `--- agent ${a.cluster} status ---\n${JSON.stringify({ peers: st.peers, drops: st.drops, counters: st.counters })}`,
        );
      const tail = a.log().split("\n").slice(-60).join("\n");
      console.error(`--- agent ${a.cluster} (state ${a.stateDir}), last 60 log lines ---\n${tail}`);
    }
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true)));
  await platform?.stop();
  await proxy?.close();
  await stun?.close();
  await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe("two agents through the local platform", () => {
  it("1. both come online in the API, with the agent version, and see each other", async () => {
    [hub, spoke] = await Promise.all([launch("hub"), launch("spoke-a")]);
    expect(hub.meshIp).toMatch(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    for (const name of ["hub", "spoke-a"]) {
      const c = await waitFor(
        `${name} online`,
        async () => {
          const r = await api<Cluster>(`/api/v1/clusters/${name}`);
          return r.body.status.online ? r.body : null;
        },
        15_000,
      );
      expect(c.status.agentVersion).toBe("0.1.0");
      expect(c.status.lastSeen).not.toBeNull();
      // Candidates: first what the platform observed (CF-Connecting-IP with the agent's UDP port),
      // then what the agent advertised (loopback only, in tests).
      const port = name === "hub" ? hub.listenPort : spoke.listenPort;
      expect(c.status.endpoints).toEqual([`127.0.0.1:${port}`]);
    }
    await waitFor("spoke sees hub", () => peerOf(spoke, "hub"), 10_000);
    await waitFor("hub sees spoke", () => peerOf(hub, "spoke-a"), 10_000);
  }, 60_000);

  it("2. ICMP and UDP cross the tunnel byte-exact on the direct path, both ways", async () => {
    const icmp = await runTether(
      ["--json", "agent", "ping", "hub", "--count", "5", "--interval", "50", "--state", spoke.stateDir],
      { timeoutMs: 30_000 },
    );
    expect(icmp.stderr).toBe("");
    expect(icmp.code).toBe(0);
    const r = JSON.parse(icmp.stdout) as Awaited<ReturnType<AgentProcess["ping"]>>;
    expect(r).toMatchObject({ cluster: "hub", ip: hub.meshIp, protocol: "icmp", sent: 5 });
    // The first probe may be the one that starts the handshake; all must come back.
    expect(r.received).toBe(5);
    expect(r.probes.map((p) => p.path)).toEqual(Array(5).fill("direct"));

    for (const size of [4, 100, 1000, 1392]) {
      const u = await hub.ping({ target: spoke.meshIp, protocol: "udp", count: 3, size, intervalMs: 20 });
      expect(u).toMatchObject({ cluster: "spoke-a", protocol: "udp", size, received: 3 });
      expect(u.probes.every((p) => p.ok && p.path === "direct")).toBe(true);
    }

    const s = await peerOf(spoke, "hub");
    expect(s).toMatchObject({ path: "direct", endpoint: `127.0.0.1:${hub.listenPort}`, relay: "open" });
    expect(s!.rxBytes).toBeGreaterThan(0);
    expect(s!.txBytes).toBeGreaterThan(0);
    expect(s!.lastHandshakeAgeSeconds).not.toBeNull();

    // The human form of `agent status` names the peer and its path.
    const human = await runTether(["agent", "status", "--state", spoke.stateDir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^hub\s+100\.\S+\s+direct\s+127\.0\.0\.1:\d+/m);

    // The platform shows the per-peer path once a heartbeat carried it.
    await waitFor(
      "per-peer path in the API",
      async () => {
        const c = (await api<Cluster>("/api/v1/clusters/spoke-a")).body;
        return c.status.peers.find((p) => p.cluster === "hub" && p.path === "direct");
      },
      10_000,
    );
  }, 60_000);

  it("3. with direct UDP cut, traffic moves to the relay within 3 s and keeps flowing", async () => {
    const running = spoke.ping({ target: "hub", protocol: "udp", count: 60, intervalMs: 100, size: 512 });
    await new Promise((r) => setTimeout(r, 1_000));
    const cutAt = Date.now();
    await spoke.blockUdp(true);
    const r = await running;
    const after = afterMoment(r, cutAt);
    const firstRelay = after.find((p) => p.ok && p.path === "relay");
    expect(firstRelay, JSON.stringify(after.slice(0, 40))).toBeDefined();
    expect(firstRelay!.sentAtMs - cutAt).toBeLessThanOrEqual(3_000);
    // Once on the relay, every later probe comes back.
    const onRelay = after.filter((p) => p.sentAtMs >= firstRelay!.sentAtMs);
    expect(onRelay.every((p) => p.ok && p.path === "relay")).toBe(true);
    expect((await peerOf(spoke, "hub"))!.path).toBe("relay");
    expect((await spoke.status()).counters.udpDroppedFault).toBeGreaterThan(0);
    // The other side moved too: it saw direct go quiet and answers through the relay.
    await waitFor("hub on relay", async () => (await peerOf(hub, "spoke-a"))?.path === "relay", 5_000);
  }, 60_000);

  it("4. with UDP restored, traffic is back on direct within 10 s", async () => {
    const running = spoke.ping({ target: "hub", protocol: "icmp", count: 120, intervalMs: 100 });
    await new Promise((r) => setTimeout(r, 500));
    const restoredAt = Date.now();
    await spoke.blockUdp(false);
    const r = await running;
    const after = afterMoment(r, restoredAt);
    const firstDirect = after.find((p) => p.ok && p.path === "direct");
    expect(firstDirect, JSON.stringify(after.slice(0, 20))).toBeDefined();
    expect(firstDirect!.sentAtMs - restoredAt).toBeLessThanOrEqual(10_000);
    // Nothing was lost while switching back: the relay carried traffic until direct was proven.
    expect(r.received).toBe(r.sent);
    const last = r.probes.slice(-10);
    expect(last.every((p) => p.ok && p.path === "direct")).toBe(true);
  }, 60_000);

  it("5. a platform restart does not interrupt direct traffic, and the relay reconnects", async () => {
    const before = (await peerOf(spoke, "hub"))!.relayReconnects;
    // Ping in rounds for as long as the platform is down and coming back, so the probes cover the whole outage.
    let restarted = false;
    const restart = platform.restart().then(() => {
      restarted = true;
    });
    const probes: Awaited<ReturnType<AgentProcess["ping"]>>["probes"] = [];
    while (!restarted) {
      const r = await spoke.ping({ target: "hub", protocol: "udp", count: 10, intervalMs: 100, size: 200 });
      probes.push(...r.probes);
    }
    await restart;
    expect(probes.length).toBeGreaterThanOrEqual(10);
    expect(probes.filter((p) => !p.ok)).toEqual([]);
    expect(probes.every((p) => p.path === "direct")).toBe(true);

    await waitFor(
      "relay reopened after the restart",
      async () => {
        const p = await peerOf(spoke, "hub");
        return p && p.relayReconnects > before && p.relay === "open";
      },
      30_000,
    );
    // Prove the new relay socket carries traffic: cut direct again and ping over it.
    await waitFor("hub relay reopened", async () => (await peerOf(hub, "spoke-a"))?.relay === "open", 30_000);
    await spoke.blockUdp(true);
    try {
      const relayed = await spoke.ping({ target: "hub", count: 40, intervalMs: 100 });
      const tail = relayed.probes.slice(-10);
      expect(
        tail.every((p) => p.ok && p.path === "relay"),
        JSON.stringify(relayed.probes),
      ).toBe(true);
    } finally {
      await spoke.blockUdp(false);
    }
    // And the platform is back for the control plane too.
    await waitFor(
      "spoke online after restart",
      async () => (await api<Cluster>("/api/v1/clusters/spoke-a")).body.status.online,
      15_000,
    );
  }, 240_000);

  it("6. an agent restarted on its state keeps its identity and is back within 5 s", async () => {
    const before = await hub.status();
    await hub.stop();
    const startedAt = Date.now();
    hub = await launch("hub", { stateDir: hub.stateDir });
    const after = await hub.status();
    expect(after).toMatchObject({ meshIp: before.meshIp, publicKey: before.publicKey, cluster: "hub" });
    const back = await waitFor(
      "spoke reaches the restarted hub",
      async () => {
        const r = await spoke.ping({ target: "hub", protocol: "udp", count: 1, size: 64, timeoutMs: 300 });
        return r.received === 1 ? Date.now() : null;
      },
      10_000,
    );
    expect(back - startedAt).toBeLessThanOrEqual(5_000);
    const c = (await api<Cluster>("/api/v1/clusters/hub")).body;
    expect(c.status.online).toBe(true);
  }, 60_000);

  it("7. a third agent, behind an HTTP proxy and with STUN from its values, cannot attach to the pair", async () => {
    // Values before it starts: a STUN server. The agent applies them from its first heartbeat.
    const annotate = (yaml: string) =>
      api("/api/v1/clusters/spoke-b", {
        method: "PATCH",
        body: { annotations: { "loft.sh/agent-values": yaml } },
      });
    expect((await annotate(`stunServers: ["127.0.0.1:${stun.port}"]\n`)).status).toBe(200);
    const third = await launch("spoke-b", {
      env: { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "" },
    });
    // Under the hub policy a spoke is paired with the hub only.
    await waitFor("spoke-b sees hub", () => peerOf(third, "hub"), 10_000);
    expect((await third.status()).peers.map((p) => p.cluster)).toEqual(["hub"]);
    const cred = await agentCredential(third.stateDir);
    expect(await tryRelay("spoke-a", cred)).toBe(403);
    expect(await tryRelay("hub", cred)).toBe("open");
    expect(await tryRelay("spoke-a", `${cred.slice(0, -4)}AAAA`)).toBe(401);
    expect(await tryRelay("spoke-a", platform.adminKey)).toBe(401);
    // And its pings to spoke-a have no way through: spoke-a is not its peer.
    const r = await runTether(["agent", "ping", spoke.meshIp, "--count", "1", "--state", third.stateDir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no peer "100\./);
    // The established pair is untouched.
    expect((await spoke.ping({ target: "hub", count: 3, intervalMs: 50 })).received).toBe(3);

    await waitFor(
      "spoke-b relay open via the proxy",
      async () => (await peerOf(third, "hub"))?.relay === "open",
      10_000,
    );
    // The STUN-reflexive candidate (the responder maps to 127.0.0.2) is offered to peers.
    await waitFor(
      "STUN-reflexive endpoint",
      async () => (await third.status()).endpoints.includes(`127.0.0.2:${third.listenPort}`),
      10_000,
    );
    expect(stun.requests).toBeGreaterThan(0);

    // Values changed while it runs: applied within a heartbeat or two, no restart.
    await annotate("logLevel: warn\nmtu: 1280\npersistentKeepalive: 15\nrelay:\n  mode: always\n");
    const s = await waitFor(
      "new values applied",
      async () => {
        const st = (await third.status()).settings;
        return st.mtu === 1280 && st.relayMode === "always" ? st : null;
      },
      10_000,
    );
    expect(s).toMatchObject({ logLevel: "warn", persistentKeepaliveSeconds: 15, stunServers: [] });
    // The MTU reached the IP stack: the largest ICMP payload is now 1280 - 28.
    await expect(third.ping({ target: "hub", size: 1253, count: 1 })).rejects.toThrow(/\(1252\)/);
    await waitFor(
      "relay reopened in always mode",
      async () => (await peerOf(third, "hub"))?.relay === "open",
      10_000,
    );
    const relayedBefore = (await third.status()).counters.relayDatagramsOut;
    const viaRelay = await third.ping({
      target: "hub",
      size: 1252,
      count: 3,
      intervalMs: 50,
      timeoutMs: 3_000,
    });
    expect(viaRelay.received).toBe(3);
    expect((await third.status()).counters.relayDatagramsOut).toBeGreaterThanOrEqual(
      (relayedBefore ?? 0) + 3,
    );
    // Its platform calls (one keep-alive tunnel) and its relay socket (another) went through the proxy.
    expect(
      proxy.seen.filter((s) => s.startsWith(`127.0.0.1:${platform.port} `)).length,
      proxy.seen.join("; "),
    ).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it("8. deleting a cluster stops its agent, closes its relay and refuses its credential", async () => {
    const cred = await agentCredential(spoke.stateDir);
    const del = await api(`/api/v1/clusters/spoke-a`, { method: "DELETE" });
    expect([200, 204]).toContain(del.status);
    const code = await Promise.race([
      spoke.exited,
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 15_000)),
    ]);
    expect(code).not.toBe("timeout");
    expect(code).not.toBe(0);
    expect(spoke.log()).toMatch(/refused the agent credential|re-registration failed/);

    const hb = await fetch(`${platform.url}/api/v1/agent/heartbeat`, {
      method: "POST",
      headers: { authorization: `Bearer ${cred}`, "content-type": "application/json" },
      body: JSON.stringify({ version: "0.1.0", endpoints: [], peers: [] }),
    });
    expect(hb.status).toBe(401);
    expect(((await hb.json()) as { error: { code: string } }).error.code).toMatch(/credential/);
    expect(await tryRelay("hub", cred)).toBe(401);
    // The hub drops the peer within a heartbeat or two.
    await waitFor("hub forgets spoke-a", async () => (await peerOf(hub, "spoke-a")) === undefined, 10_000);
  }, 60_000);
});
