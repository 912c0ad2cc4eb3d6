import { beforeEach, describe, expect, it } from "vitest";
import type {
  Cluster,
  ClusterCondition,
  ClusterDetail,
  ListClusterEventsResponse,
  RotatePskResponse,
} from "../../protocol/api.ts";
import { ControlClose } from "../../protocol/control.ts";
import { controlUpgrade, openControl } from "../test/control-channel.ts";
import {
  call,
  clearLocalClusters,
  createCluster,
  errorOf,
  json,
  putConfig,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

const heartbeat = { version: "0.1.0", endpoints: [], peers: [] };

function conditionOf(c: Cluster, type: ClusterCondition["type"]): ClusterCondition | undefined {
  return c.status.conditions.find((x) => x.type === type);
}

function revoke(name: string): Promise<Response> {
  return call("POST", `/api/v1/clusters/${name}/revoke`);
}

async function getCluster(name: string): Promise<ClusterDetail> {
  return json<ClusterDetail>(await call("GET", `/api/v1/clusters/${name}`));
}

function register(cluster: string, psk: string, publicKey = randomPublicKey()): Promise<Response> {
  return call("POST", "/api/v1/agent/register", {
    token: null,
    json: { cluster, psk, publicKey, clusterUid: `uid-${cluster}`, version: "0.1.0" },
  });
}

/** A cluster with a registered agent, its PSK and values key. */
async function connected(prefix: string, local = false) {
  const created = await createCluster({ name: uniqueName(prefix), local });
  const name = created.cluster.name;
  const agent = await registerAgent(name, created.psk);
  return { name, psk: created.psk, valuesKey: created.valuesKey, ...agent };
}

beforeEach(async () => {
  await putConfig("peering: hub\nagentValues: {}\n");
  await clearLocalClusters();
});

describe("POST /api/v1/clusters/:name/revoke", () => {
  it("answers the cluster with CredentialRevoked True, not online and without paths", async () => {
    const spoke = await connected("revoke");
    const hb = await call("POST", "/api/v1/agent/heartbeat", {
      token: spoke.credential,
      json: { ...heartbeat, endpoints: ["198.51.100.7:41641"] },
    });
    expect(hb.status).toBe(200);
    const before = await getCluster(spoke.name);
    expect(before.status.online).toBe(true);

    const res = await revoke(spoke.name);
    expect(res.status).toBe(200);
    const body = await json<ClusterDetail>(res);
    expect(body.name).toBe(spoke.name);
    expect(body.relays).toEqual({});
    expect(body.status).toMatchObject({
      phase: "Failed",
      reason: "CredentialRevoked",
      online: false,
      endpoints: [],
      peers: [],
      agentVersion: null,
    });
    expect(body.status.message).toContain("rotate the PSK and run the new connect command");
    // When the agent was last seen stays shown (it is not presence: online is false).
    expect(before.status.lastSeen).not.toBeNull();
    expect(body.status.lastSeen).toBe(before.status.lastSeen);
    const revoked = conditionOf(body, "CredentialRevoked");
    expect(revoked).toMatchObject({ status: "True", reason: "Revoked" });
    expect(revoked?.message).toContain("To reconnect, rotate the PSK and run the new connect command.");
    expect(conditionOf(body, "AgentConnected")).toMatchObject({
      status: "False",
      reason: "CredentialRevoked",
    });
    // GET answers the same shape and the same facts.
    const got = await getCluster(spoke.name);
    expect(got.status).toEqual(body.status);
    expect(revoked?.lastTransitionTime).toBe(got.status.conditions[3]?.lastTransitionTime);
  });

  it("refuses the old credential on heartbeat, netmap and the control upgrade (401)", async () => {
    const spoke = await connected("revoke");
    expect((await revoke(spoke.name)).status).toBe(200);
    const refused = {
      status: 401,
      code: "invalid_credential",
      message: "The agent credential is not valid; it was replaced, revoked, or its cluster was deleted.",
    };
    const hb = await call("POST", "/api/v1/agent/heartbeat", { token: spoke.credential, json: heartbeat });
    expect(await errorOf(hb)).toEqual(refused);
    const netmap = await call("GET", "/api/v1/agent/netmap", { token: spoke.credential });
    expect(await errorOf(netmap)).toEqual(refused);
    expect(await errorOf(await controlUpgrade(spoke.credential))).toEqual(refused);
  });

  it("refuses a registration with the old PSK (401 invalid_psk), even from the same key", async () => {
    const spoke = await connected("revoke");
    expect((await revoke(spoke.name)).status).toBe(200);
    const again = await register(spoke.name, spoke.psk, spoke.publicKey);
    expect(await errorOf(again)).toMatchObject({ status: 401, code: "invalid_psk" });
    expect((await getCluster(spoke.name)).status.reason).toBe("CredentialRevoked");
  });

  it("refuses the cluster's values key", async () => {
    const spoke = await connected("revoke");
    const before = await call("GET", `/clusters/${spoke.name}`, { token: spoke.valuesKey });
    expect(before.status).toBe(200);
    expect((await revoke(spoke.name)).status).toBe(200);
    const after = await call("GET", `/clusters/${spoke.name}`, { token: spoke.valuesKey });
    expect((await errorOf(after)).status).toBe(401);
  });

  it("is idempotent: a second revoke answers 200 and records no second event", async () => {
    const spoke = await connected("revoke");
    const first = await json<Cluster>(await revoke(spoke.name));
    const second = await revoke(spoke.name);
    expect(second.status).toBe(200);
    const again = await json<Cluster>(second);
    // The revocation time is the first one's.
    expect(conditionOf(again, "CredentialRevoked")).toEqual(conditionOf(first, "CredentialRevoked"));
    const events = await json<ListClusterEventsResponse>(
      await call("GET", `/api/v1/clusters/${spoke.name}/events`),
    );
    const revocations = events.items.filter((e) => e.reason === "CredentialRevoked");
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ type: "Warning" });
    expect(revocations[0]?.message).toContain("rotate the PSK");
  });

  it("revokes a cluster with no agent yet: its PSK stops registering", async () => {
    const created = await createCluster({ name: uniqueName("revoke") });
    const res = await revoke(created.cluster.name);
    expect(res.status).toBe(200);
    expect(conditionOf(await json<Cluster>(res), "CredentialRevoked")?.status).toBe("True");
    expect((await errorOf(await register(created.cluster.name, created.psk))).code).toBe("invalid_psk");
  });

  it("answers 404 for an unknown cluster and 401 without an admin key", async () => {
    expect(await errorOf(await revoke("no-such-cluster"))).toEqual({
      status: 404,
      code: "not_found",
      message: 'No cluster named "no-such-cluster".',
    });
    expect((await errorOf(await revoke("Not_A_Name"))).status).toBe(404);
    const anonymous = await call("POST", "/api/v1/clusters/anything/revoke", { token: null });
    expect((await errorOf(anonymous)).status).toBe(401);
  });

  it("rotate-psk and a registration with the new PSK reconnect the cluster and clear the revocation", async () => {
    const spoke = await connected("revoke");
    expect((await revoke(spoke.name)).status).toBe(200);
    const rotated = await call("POST", `/api/v1/clusters/${spoke.name}/rotate-psk`);
    expect(rotated.status).toBe(200);
    const { psk } = await json<RotatePskResponse>(rotated);
    // Rotated but not yet registered: still revoked.
    expect((await getCluster(spoke.name)).status.reason).toBe("CredentialRevoked");

    const res = await register(spoke.name, psk, spoke.publicKey);
    expect(res.status).toBe(200);
    const { credential } = await json<{ credential: string }>(res);
    const hb = await call("POST", "/api/v1/agent/heartbeat", { token: credential, json: heartbeat });
    expect(hb.status).toBe(200);
    const back = await getCluster(spoke.name);
    expect(back.status).toMatchObject({ phase: "Initialized", reason: "", message: "", online: true });
    expect(conditionOf(back, "CredentialRevoked")).toMatchObject({
      status: "False",
      reason: "CredentialValid",
    });
    expect(conditionOf(back, "AgentConnected")?.status).toBe("True");
  });

  it("removes the spoke from the hub's channel and closes the spoke's channel with 4001", async () => {
    const hub = await connected("hub", true);
    const spoke = await connected("spoke");
    const hubWs = await openControl(hub.credential);
    const { netmap } = await hubWs.next("netmap");
    expect(netmap.peers.map((p) => p.cluster)).toContain(spoke.name);
    const spokeWs = await openControl(spoke.credential);
    await spokeWs.next("netmap");
    const before = hubWs.messages().length;

    expect((await revoke(spoke.name)).status).toBe(200);
    const delta = await hubWs.next("netmap-delta", before);
    expect(delta.removes).toEqual([spoke.name]);
    expect(delta.upserts).toEqual([]);
    await spokeWs.until(() => spokeWs.closed !== null, "spoke closed");
    expect(spokeWs.closed?.code).toBe(ControlClose.revoked);
    expect(spokeWs.closed?.code).toBe(4001);
    // The hub's full netmap no longer shows it either.
    const fresh = await call("GET", "/api/v1/agent/netmap", { token: hub.credential });
    const peers = (await json<{ peers: { cluster: string }[] }>(fresh)).peers.map((p) => p.cluster);
    expect(peers).not.toContain(spoke.name);
  });
});
