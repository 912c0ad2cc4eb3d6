import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterEvent,
  type ListClusterEventsResponse,
  ONLINE_WINDOW_SECONDS,
  type RotatePskResponse,
} from "../../protocol/api.ts";
import { createDb } from "../db/client.ts";
import {
  call,
  callAt,
  clearLocalClusters,
  createAccessKey,
  createCluster,
  errorOf,
  json,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";
import { EVENTS_KEPT_PER_CLUSTER, EVENTS_MAX_AGE_MS, recordClusterEvent } from "./events.ts";

async function events(name: string, query = ""): Promise<ListClusterEventsResponse> {
  const res = await call("GET", `/api/v1/clusters/${name}/events${query}`);
  expect(res.status).toBe(200);
  return json<ListClusterEventsResponse>(res);
}

/** Oldest first, reason and the parts a test names. */
async function timeline(name: string): Promise<ClusterEvent[]> {
  return (await events(name, "?limit=100")).items.reverse();
}

function peer(cluster: string, path: "direct" | "relay" | "none") {
  return {
    cluster,
    path,
    endpoint: null,
    rttMs: null,
    rxBytes: 0,
    txBytes: 0,
    lastHandshakeAgeSeconds: null,
  };
}

describe("cluster events", () => {
  it("records registration, a wrong PSK, a refused duplicate and a rotation, newest first", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    expect(await events(name)).toEqual({ items: [], nextCursor: null });
    await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const wrong = await call("POST", "/api/v1/agent/register", {
      token: null,
      headers: { "cf-connecting-ip": "203.0.113.7" },
      json: {
        cluster: name,
        psk: "tpsk_wrong",
        publicKey: randomPublicKey(),
        clusterUid: "u",
        version: "0.1.0",
      },
    });
    expect(wrong.status).toBe(401);
    const dup = await call("POST", "/api/v1/agent/register", {
      token: null,
      json: {
        cluster: name,
        psk: created.psk,
        publicKey: randomPublicKey(),
        clusterUid: "uid-B",
        version: "0.1.0",
      },
    });
    expect(dup.status).toBe(409);
    await call("POST", `/api/v1/clusters/${name}/rotate-psk`);

    const listed = await events(name);
    expect(listed.items.map((e) => [e.type, e.reason])).toEqual([
      ["Normal", "PSKRotated"],
      ["Warning", "DuplicateCluster"],
      ["Warning", "InvalidPSK"],
      ["Normal", "Registered"],
    ]);
    const [rotated, duplicate, invalid, registered] = listed.items;
    expect(registered).toMatchObject({
      message: "An agent registered (version 0.1.0).",
      detail: { version: "0.1.0", clusterUid: "uid-A", rebound: false },
    });
    expect(registered?.id).toMatch(/^\d+$/);
    expect(Date.parse(registered?.at ?? "")).not.toBeNaN();
    expect(invalid).toMatchObject({
      message: expect.stringContaining("wrong PSK"),
      detail: { source: "203.0.113.7", clusterUid: "u" },
    });
    expect(duplicate?.detail).toEqual({ clusterUid: "uid-B", registeredClusterUid: "uid-A" });
    expect(rotated?.message).toContain("PSK was rotated");
  });

  it("records a re-bind as a registration that replaced the previous identity", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const { psk } = await json<RotatePskResponse>(await call("POST", `/api/v1/clusters/${name}/rotate-psk`));
    await registerAgent(name, psk, { clusterUid: "uid-B" });
    const [latest] = (await events(name)).items;
    expect(latest).toMatchObject({ reason: "Registered", detail: { rebound: true, clusterUid: "uid-B" } });
    expect(latest?.message).toContain("replaced the previous one (cluster UID uid-A -> uid-B)");
  });

  it("records a wrong PSK for an unknown name nowhere, and answers it as before", async () => {
    const name = uniqueName("ghost");
    const res = await call("POST", "/api/v1/agent/register", {
      token: null,
      json: { cluster: name, psk: "tpsk_x", publicKey: randomPublicKey(), clusterUid: "u", version: "0.1.0" },
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_psk" });
    const row = await env.DB.prepare("select count(*) as n from cluster_events where cluster = ?")
      .bind(name)
      .first();
    expect(row).toEqual({ n: 0 });
  });

  it("records values reports and path changes only when they change, and offline/online after a silence", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    // Under the default hub policy a cluster's only peer is the local one.
    await clearLocalClusters();
    const peerA = await createCluster({ name: uniqueName("evpeer"), local: true });
    await registerAgent(peerA.cluster.name, peerA.psk);
    const agent = await registerAgent(name, created.psk);
    const t0 = Date.now();
    const beat = (at: number, body: Record<string, unknown>) =>
      callAt(at, "POST", "/api/v1/agent/heartbeat", {
        token: agent.credential,
        json: { version: "0.1.0", endpoints: [], peers: [], ...body },
      });
    const ok = { applied: ["mtu", "relay.mode"], rejected: [], revision: "v1" };
    const bad = {
      applied: ["mtu"],
      rejected: [{ path: "relay.mode", message: "must be one of auto, always, never" }],
    };
    const p = peerA.cluster.name;
    expect((await beat(t0, { values: ok, peers: [peer(p, "direct")] })).status).toBe(200);
    expect((await beat(t0 + 5_000, { values: ok, peers: [peer(p, "direct")] })).status).toBe(200);
    expect((await beat(t0 + 10_000, { values: bad, peers: [peer(p, "relay")] })).status).toBe(200);
    // Silent for longer than the online window, then back.
    expect((await beat(t0 + 100_000, { values: bad, peers: [peer(p, "relay")] })).status).toBe(200);

    const reasons = (await timeline(name)).map((e) => [e.reason, e.message]);
    expect(reasons).toEqual([
      ["Registered", "An agent registered (version 0.1.0)."],
      ["ValuesApplied", "The agent applied 2 value(s) and rejected none."],
      ["PathChanged", `Peer ${p}: none -> direct.`],
      ["ValuesRejected", "The agent rejected relay.mode: must be one of auto, always, never."],
      ["PathChanged", `Peer ${p}: direct -> relay.`],
      ["AgentOffline", `No heartbeat for more than ${ONLINE_WINDOW_SECONDS} s.`],
      ["AgentOnline", "The agent is online."],
      ["PathChanged", `Peer ${p}: none -> relay.`],
    ]);
    const all = await timeline(name);
    expect(all.find((e) => e.reason === "AgentOffline")?.at).toBe(
      new Date(t0 + 10_000 + ONLINE_WINDOW_SECONDS * 1000).toISOString(),
    );
    expect(all.find((e) => e.reason === "ValuesRejected")).toMatchObject({
      type: "Warning",
      detail: { applied: ["mtu"], rejected: bad.rejected, revision: null },
    });

    // The report is the cluster's status.values.
    const cluster = await json<Cluster>(await callAt(t0 + 100_000, "GET", `/api/v1/clusters/${name}`));
    expect(cluster.status.values).toEqual({
      applied: ["mtu"],
      rejected: bad.rejected,
      revision: null,
      reportedAt: new Date(t0 + 100_000).toISOString(),
    });
  });

  it("pages with limit and before, newest first", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    const db = createDb(env.DB);
    for (let i = 0; i < 5; i++) {
      await recordClusterEvent(db, name, Date.now(), { type: "Normal", reason: "Test", message: `m${i}` });
    }
    const first = await events(name, "?limit=2");
    expect(first.items.map((e) => e.message)).toEqual(["m4", "m3"]);
    expect(first.nextCursor).not.toBeNull();
    const second = await events(name, `?limit=2&before=${first.nextCursor}`);
    expect(second.items.map((e) => e.message)).toEqual(["m2", "m1"]);
    const third = await events(name, `?limit=2&before=${second.nextCursor}`);
    expect(third).toMatchObject({ nextCursor: null });
    expect(third.items.map((e) => e.message)).toEqual(["m0"]);
  });

  it(`keeps the newest ${EVENTS_KEPT_PER_CLUSTER} per cluster and nothing older than 30 days`, async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const other = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    const db = createDb(env.DB);
    const now = Date.now();
    await recordClusterEvent(db, other.cluster.name, now, {
      type: "Normal",
      reason: "Test",
      message: "other",
    });
    await recordClusterEvent(db, name, now, {
      type: "Normal",
      reason: "Test",
      message: "ancient",
      at: now - EVENTS_MAX_AGE_MS - 1,
    });
    const batch = Array.from({ length: EVENTS_KEPT_PER_CLUSTER + 4 }, (_, i) => ({
      type: "Normal" as const,
      reason: "Test",
      message: `n${i}`,
    }));
    // In chunks, as events come: each recording prunes.
    for (let i = 0; i < batch.length; i += 20)
      await recordClusterEvent(db, name, now, ...batch.slice(i, i + 20));
    const count = await env.DB.prepare("select count(*) as n from cluster_events where cluster = ?")
      .bind(name)
      .first();
    expect(count).toEqual({ n: EVENTS_KEPT_PER_CLUSTER });
    const messages = new Set<string>();
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: ListClusterEventsResponse = await events(
        name,
        `?limit=100${cursor ? `&before=${cursor}` : ""}`,
      );
      for (const e of page.items) messages.add(e.message);
      cursor = page.nextCursor;
    }
    expect(messages.has("ancient")).toBe(false);
    expect(messages.has("n0")).toBe(false);
    expect(messages.has(`n${batch.length - 1}`)).toBe(true);
    // Another cluster's history is not touched.
    expect((await events(other.cluster.name)).items.map((e) => e.message)).toEqual(["other"]);
  });

  it("deletes a cluster's events with it", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    await registerAgent(name, created.psk);
    expect((await call("DELETE", `/api/v1/clusters/${name}`)).status).toBe(204);
    const row = await env.DB.prepare("select count(*) as n from cluster_events where cluster = ?")
      .bind(name)
      .first();
    expect(row).toEqual({ n: 0 });
  });

  it("answers 404 for an unknown cluster, 400 for a bad limit or cursor, and needs an admin key", async () => {
    const created = await createCluster({ name: uniqueName("ev") });
    const name = created.cluster.name;
    expect((await errorOf(await call("GET", `/api/v1/clusters/${uniqueName("nope")}/events`))).status).toBe(
      404,
    );
    for (const query of ["?limit=0", "?limit=101", "?limit=x", "?before=abc", "?before=0", "?before=-1"]) {
      expect((await call("GET", `/api/v1/clusters/${name}/events${query}`)).status, query).toBe(400);
    }
    expect((await call("GET", `/api/v1/clusters/${name}/events`, { token: null })).status).toBe(401);
    const reader = await createAccessKey("values:read");
    expect((await call("GET", `/api/v1/clusters/${name}/events`, { token: reader })).status).toBe(403);
  });
});
