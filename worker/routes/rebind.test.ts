import { describe, expect, it } from "vitest";
import type { Cluster, RotatePskResponse } from "../../protocol/api.ts";
import {
  call,
  createCluster,
  errorOf,
  json,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

function register(cluster: string, psk: string, clusterUid: string, publicKey = randomPublicKey()) {
  return call("POST", "/api/v1/agent/register", {
    token: null,
    json: { cluster, psk, publicKey, clusterUid, version: "0.1.0" },
  });
}

async function rotate(name: string): Promise<RotatePskResponse> {
  const res = await call("POST", `/api/v1/clusters/${name}/rotate-psk`);
  expect(res.status).toBe(200);
  return json<RotatePskResponse>(res);
}

const heartbeat = { version: "0.1.0", endpoints: [], peers: [] };

describe("re-binding a cluster to a new agent identity after a PSK rotation", () => {
  it("lets the first registration with the new PSK replace the agent, from a new key and cluster UID", async () => {
    const created = await createCluster({ name: uniqueName("rebind") });
    const name = created.cluster.name;
    const old = await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const { psk } = await rotate(name);

    const fresh = randomPublicKey();
    const res = await register(name, psk, "uid-B", fresh);
    expect(res.status).toBe(200);
    const { credential } = await json<{ credential: string }>(res);

    // The new identity is the cluster's agent now; the old credential is dead.
    const netmap = await call("GET", "/api/v1/agent/netmap", { token: credential });
    expect((await json<{ self: { publicKey: string } }>(netmap)).self.publicKey).toBe(fresh);
    expect(
      (await call("POST", "/api/v1/agent/heartbeat", { token: credential, json: heartbeat })).status,
    ).toBe(200);
    const stale = await call("POST", "/api/v1/agent/heartbeat", { token: old.credential, json: heartbeat });
    expect(await errorOf(stale)).toMatchObject({ status: 401, code: "invalid_credential" });
    const cluster = await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
    expect(cluster.status).toMatchObject({ phase: "Initialized", online: true, reason: "" });
  });

  it("still refuses a second live agent with another cluster UID under the PSK the agent registered with", async () => {
    const created = await createCluster({ name: uniqueName("rebind") });
    const name = created.cluster.name;
    await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    // No rotation: the PSK is the one uid-A proved.
    const refused = await register(name, created.psk, "uid-B");
    const error = await errorOf(refused);
    expect(error).toMatchObject({ status: 409, code: "cluster_uid_conflict" });
    expect(error.message).toContain("rotate its PSK to move it");
    const cluster = await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
    expect(cluster.status.reason).toBe("DuplicateCluster");
  });

  it("spends the rotation's consent on one registration: a third identity is refused again", async () => {
    const created = await createCluster({ name: uniqueName("rebind") });
    const name = created.cluster.name;
    await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const { psk } = await rotate(name);
    expect((await register(name, psk, "uid-B")).status).toBe(200);
    // Someone else holding the new PSK is now the second live agent the guard is for.
    const third = await register(name, psk, "uid-C");
    expect(await errorOf(third)).toMatchObject({ status: 409, code: "cluster_uid_conflict" });
    // The rebound agent itself (same cluster UID) may register again, e.g. after losing its credential.
    expect((await register(name, psk, "uid-B")).status).toBe(200);
  });

  it("refuses the old PSK after the rotation, so the old agent cannot take the cluster back", async () => {
    const created = await createCluster({ name: uniqueName("rebind") });
    const name = created.cluster.name;
    await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    await rotate(name);
    const res = await register(name, created.psk, "uid-A");
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_psk" });
  });

  it("forgets the old identity's peers and values report when a new identity takes over", async () => {
    const created = await createCluster({ name: uniqueName("rebind") });
    const name = created.cluster.name;
    const old = await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const report = { applied: ["mtu"], rejected: [], revision: "r1" };
    await call("POST", "/api/v1/agent/heartbeat", {
      token: old.credential,
      json: { ...heartbeat, values: report },
    });
    const before = await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
    expect(before.status.values).toMatchObject({ applied: ["mtu"] });
    const { psk } = await rotate(name);
    expect((await register(name, psk, "uid-B")).status).toBe(200);
    const after = await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
    expect(after.status.values).toBeNull();
  });
});
