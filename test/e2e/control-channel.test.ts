/**
 * The control channel with real `tether agent up` processes and a real local platform: peers are
 * learnt by push (the fallback heartbeat is set to 300 s, so nothing else can explain it),
 * deletion and revocation cut an agent, a killed or frozen agent shows AgentOffline, and an agent behind a
 * proxy that refuses WebSocket upgrades carries on with HTTP heartbeats.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Cluster, ClusterCondition } from "../../protocol/api.ts";
import { adminApi, createCluster, getCluster } from "../helpers/admin-api.ts";
import { type AgentProcess, startAgent, waitFor } from "../helpers/agent-process.ts";
import { type ConnectProxy, startConnectProxy } from "../helpers/connect-proxy.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";

/** Long enough that a test passing within it cannot have been helped by a heartbeat. */
const NO_HEARTBEATS = 300;

let platform: Platform;
let proxy: ConnectProxy;
let workDir: string;
const agents: AgentProcess[] = [];

async function launch(cluster: string, psk: string, extra: Partial<Parameters<typeof startAgent>[0]> = {}) {
  const a = await startAgent({
    platform: platform.url,
    cluster,
    psk,
    heartbeatSeconds: NO_HEARTBEATS,
    stateDir: await mkdtemp(join(workDir, `${cluster}-`)),
    ...extra,
  });
  agents.push(a);
  return a;
}

function condition(c: Cluster, type: ClusterCondition["type"]): ClusterCondition | undefined {
  return c.status.conditions.find((x) => x.type === type);
}

async function channelOpen(a: AgentProcess): Promise<boolean> {
  return (await a.status()).controlChannel;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "tether-control-e2e-"));
  platform = await startPlatform();
  proxy = await startConnectProxy();
}, 200_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    for (const a of agents) {
      console.error(
        `--- agent ${a.cluster}, last 40 log lines ---\n${a.log().split("\n").slice(-40).join("\n")}`,
      );
    }
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true).catch(() => undefined)));
  await platform?.stop();
  await proxy?.close();
  await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe("the control channel with real agents", () => {
  let hub: AgentProcess;

  it("a hub learns a spoke that registers after it, by push alone, and they handshake", async () => {
    const hubPsk = await createCluster(platform, "hub", true);
    hub = await launch("hub", hubPsk);
    await waitFor("hub channel open", () => channelOpen(hub), 10_000);
    const before = await hub.status();
    expect(before.peers).toEqual([]);

    const spokePsk = await createCluster(platform, "spoke");
    const started = Date.now();
    await launch("spoke", spokePsk);
    const up = Date.now();
    // The hub's one HTTP heartbeat was at its start, before the spoke existed; the next is 300 s away.
    await waitFor(
      "hub has the spoke in its netmap",
      async () => (await hub.status()).peers.some((p) => p.cluster === "spoke"),
      10_000,
    );
    const learnt = Date.now();
    console.log(
      `hub learnt the spoke ${learnt - up} ms after the spoke's agent was up (${learnt - started} ms after its start)`,
    );
    expect((await hub.status()).lastHeartbeatAt).toBe(before.lastHeartbeatAt);
    const pong = await hub.ping({ target: "spoke", protocol: "icmp", count: 3, intervalMs: 200 });
    expect(pong.received).toBeGreaterThan(0);

    const c = await getCluster(platform, "spoke");
    expect(condition(c, "AgentConnected")).toMatchObject({ status: "True", reason: "ControlChannelOpen" });
    expect(condition(c, "AgentOffline")?.status).toBe("False");
  });

  it("deleting a cluster stops its agent and drops it from the hub", async () => {
    const doomedPsk = await createCluster(platform, "doomed");
    const doomed = await launch("doomed", doomedPsk);
    await waitFor("doomed channel open", () => channelOpen(doomed), 10_000);
    await waitFor(
      "hub has doomed",
      async () => (await hub.status()).peers.some((p) => p.cluster === "doomed"),
      10_000,
    );

    const deletedAt = Date.now();
    const res = await adminApi(platform, "/api/v1/clusters/doomed", { method: "DELETE" });
    expect(res.status).toBe(204);
    const code = await Promise.race([
      doomed.exited,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 10_000)),
    ]);
    expect(code).not.toBe("still running");
    expect(code).not.toBe(0);
    console.log(`the deleted cluster's agent exited ${Date.now() - deletedAt} ms after DELETE was sent`);
    expect(doomed.log()).toMatch(/deleted or revoked|re-registration failed/);
    await waitFor(
      "hub dropped doomed",
      async () => !(await hub.status()).peers.some((p) => p.cluster === "doomed"),
      10_000,
    );
  });

  it("revoking a spoke stops its agent with the cause and the fix, and drops it from the hub", async () => {
    const cutPsk = await createCluster(platform, "cut");
    const cut = await launch("cut", cutPsk);
    await waitFor("cut channel open", () => channelOpen(cut), 10_000);
    await waitFor(
      "hub has cut",
      async () => (await hub.status()).peers.some((p) => p.cluster === "cut"),
      10_000,
    );

    const revokedAt = Date.now();
    const res = await adminApi<Cluster>(platform, "/api/v1/clusters/cut/revoke", { method: "POST" });
    expect(res.status).toBe(200);
    expect(condition(res.body, "CredentialRevoked")).toMatchObject({ status: "True", reason: "Revoked" });
    const code = await Promise.race([
      cut.exited,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 10_000)),
    ]);
    expect(code).not.toBe("still running");
    expect(code).toBe(1);
    console.log(
      `the revoked spoke's agent exited ${Date.now() - revokedAt} ms after the revoke POST was sent`,
    );
    // The last line is the one a user reads: the cause and the fix, no stack trace.
    const lines = cut.log().trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(
      /^tether: agent credential refused and re-registration failed: the platform refused the PSK too \(.+\); the cluster's agent was revoked, its PSK rotated, or the cluster deleted\. To reconnect, rotate the PSK \(tether cluster rotate-psk cut\) and run the new connect command\.$/,
    );
    expect(cut.log()).not.toMatch(/\n\s+at .+:\d+:\d+/);
    // One attempt with the PSK, not a retry loop.
    expect(cut.log().match(/registering again with the PSK/g)?.length ?? 0).toBeLessThanOrEqual(2);
    await waitFor(
      "hub dropped cut",
      async () => !(await hub.status()).peers.some((p) => p.cluster === "cut"),
      10_000,
    );
    const c = await getCluster(platform, "cut");
    expect(c.status).toMatchObject({ online: false, reason: "CredentialRevoked", peers: [] });

    // The way back the agent printed, as printed: its rotate-psk command, then an agent with the
    // new PSK (a fresh state, as a reinstall would have) takes the cluster back.
    const printed = /\(tether (cluster rotate-psk cut)\)/.exec(lines.at(-1) ?? "")?.[1] ?? "";
    const rotated = await runTether(printed.split(" "), {
      env: { TETHER_PLATFORM: platform.url, TETHER_ACCESS_KEY: platform.adminKey },
    });
    expect(rotated.code).toBe(0);
    const newPsk = /tpsk_[A-Za-z0-9_-]+/.exec(rotated.stdout)?.[0] ?? "";
    expect(newPsk).not.toBe("");
    const back = await launch("cut", newPsk);
    await waitFor("the cluster back", async () => (await getCluster(platform, "cut")).status.online, 10_000);
    expect(condition(await getCluster(platform, "cut"), "CredentialRevoked")).toMatchObject({
      status: "False",
      reason: "CredentialValid",
    });
    await back.stop(true);
  });

  it("a killed agent shows AgentOffline", async () => {
    const psk = await createCluster(platform, "killed");
    const killed = await launch("killed", psk);
    await waitFor("killed channel open", () => channelOpen(killed), 10_000);
    killed.child.kill("SIGKILL");
    await killed.exited;
    const killedAt = Date.now();
    // The kernel closes the dead process's socket, so the object usually sees the close at once;
    // if that close is lost, the 30 s presence window still finds the silent socket.
    const c = await waitFor(
      "killed offline",
      async () => {
        const got = await getCluster(platform, "killed");
        return condition(got, "AgentOffline")?.status === "True" ? got : null;
      },
      45_000,
    );
    console.log(`the killed agent showed AgentOffline ${Date.now() - killedAt} ms after the kill`);
    expect(c.status.online).toBe(false);
    expect(condition(c, "AgentOffline")?.reason).toBe("NoSignOfLife");
    expect(condition(c, "AgentConnected")).toMatchObject({ status: "False", reason: "Disconnected" });
  }, 90_000);

  it("a frozen agent (its socket open, no pings) shows AgentOffline once the 30 s window passes", async () => {
    const psk = await createCluster(platform, "frozen");
    const frozen = await launch("frozen", psk);
    await waitFor("frozen channel open", () => channelOpen(frozen), 10_000);
    // SIGSTOP: the process and its TCP connection stay, but nothing is sent any more: a silent death.
    frozen.child.kill("SIGSTOP");
    try {
      const c = await waitFor(
        "frozen offline",
        async () => {
          const got = await getCluster(platform, "frozen");
          return got.status.online ? null : got;
        },
        50_000,
      );
      expect(condition(c, "AgentOffline")).toMatchObject({ status: "True", reason: "NoSignOfLife" });
    } finally {
      frozen.child.kill("SIGCONT");
    }
  }, 90_000);

  it("behind a proxy that refuses WebSocket upgrades, an agent registers and heartbeats over HTTP", async () => {
    proxy.refuseUpgrades = true;
    const psk = await createCluster(platform, "proxied");
    const proxied = await launch("proxied", psk, {
      heartbeatSeconds: 1,
      env: { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "" },
    });
    await waitFor("upgrade refused", async () => proxy.refusedUpgrades > 0, 10_000);
    const first = (await proxied.status()).lastHeartbeatAt;
    await waitFor(
      "a later heartbeat",
      async () => {
        const s = await proxied.status();
        return s.lastHeartbeatAt !== first && s.platformReachable;
      },
      10_000,
    );
    expect((await proxied.status()).controlChannel).toBe(false);
    const c = await getCluster(platform, "proxied");
    expect(condition(c, "AgentConnected")).toMatchObject({ status: "True", reason: "HeartbeatFallback" });
    // The hub learns it too: the registration was pushed to the hub's channel.
    await waitFor(
      "hub has proxied",
      async () => (await hub.status()).peers.some((p) => p.cluster === "proxied"),
      10_000,
    );
    const pong = await proxied.ping({ target: "hub", protocol: "icmp", count: 3, intervalMs: 200 });
    expect(pong.received).toBeGreaterThan(0);
  });
});
