import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Cluster, ListClustersResponse } from "../../protocol/api.ts";
import {
  call,
  clearLocalClusters,
  createCluster,
  json,
  putConfig,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

// What an agent credential may put into the status admins read (issue #3) and into the
// candidates other agents dial (#8).

beforeEach(clearLocalClusters);
afterEach(async () => {
  await clearLocalClusters();
  await putConfig("agentValues: {}\n");
});

function peer(cluster: string, endpoint: string | null = null) {
  return { cluster, path: "direct", endpoint, rttMs: 1, rxBytes: 1, txBytes: 1, lastHandshakeAgeSeconds: 1 };
}

async function pair() {
  await putConfig("peering: hub\nagentValues: {}\n");
  const hub = await createCluster({ name: uniqueName("hub"), local: true });
  const spoke = await createCluster({ name: uniqueName("spoke") });
  const other = await createCluster({ name: uniqueName("other") });
  const hubAgent = await registerAgent(hub.cluster.name, hub.psk);
  const spokeAgent = await registerAgent(spoke.cluster.name, spoke.psk);
  await registerAgent(other.cluster.name, other.psk);
  return {
    hub: hub.cluster.name,
    spoke: spoke.cluster.name,
    other: other.cluster.name,
    hubAgent,
    spokeAgent,
  };
}

function heartbeat(credential: string, body: Record<string, unknown>, source = "198.51.100.20") {
  return call("POST", "/api/v1/agent/heartbeat", {
    token: credential,
    headers: { "cf-connecting-ip": source },
    json: { version: "0.1.0", endpoints: [], peers: [], ...body },
  });
}

async function statusOf(name: string): Promise<Cluster["status"]> {
  return (await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`))).status;
}

describe("heartbeat input an agent controls", () => {
  it.each(["0.1.0\u001b]0;pwned\u0007", "1.2", "latest", "1.2.3 ", "1.2.3-\u009b31m"])(
    "refuses version %j with 400",
    async (version) => {
      const { spokeAgent } = await pair();
      const res = await heartbeat(spokeAgent.credential, { version });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await json(res))).toContain('"path":"version"');
    },
  );

  it("accepts semver-like versions, with pre-release and build parts", async () => {
    const { spokeAgent, spoke } = await pair();
    for (const version of ["0.1.0", "v1.22.333", "1.0.0-rc.1+build.7"]) {
      expect((await heartbeat(spokeAgent.credential, { version })).status).toBe(200);
      expect((await statusOf(spoke)).agentVersion).toBe(version);
    }
  });

  it("refuses a peer name that is not a cluster name, and a peer endpoint that is not host:port", async () => {
    const { spokeAgent, hub } = await pair();
    const badName = await heartbeat(spokeAgent.credential, { peers: [peer("x\u001b[2J")] });
    expect(badName.status).toBe(400);
    const badEndpoint = await heartbeat(spokeAgent.credential, { peers: [peer(hub, "\u001b[31mred:1")] });
    expect(badEndpoint.status).toBe(400);
  });

  it("keeps only this cluster's real peers under the policy, once each", async () => {
    const { spokeAgent, hub, other, spoke } = await pair();
    const res = await heartbeat(spokeAgent.credential, {
      peers: [peer(hub, "198.51.100.1:51820"), peer(other), peer("no-such-cluster"), peer(hub), peer(spoke)],
    });
    expect(res.status).toBe(200);
    expect((await statusOf(spoke)).peers).toEqual([peer(hub, "198.51.100.1:51820")]);
  });

  it("1,024 fake peers no longer grow list responses", async () => {
    const { spokeAgent } = await pair();
    const list = async () => (await call("GET", "/api/v1/clusters?limit=100")).text();
    const before = (await list()).length;
    const fakes = Array.from({ length: 1024 }, (_, i) => peer(`fake-${i}`, "203.0.113.1:51820"));
    expect((await heartbeat(spokeAgent.credential, { peers: fakes })).status).toBe(200);
    const after = await list();
    expect(JSON.parse(after) as ListClustersResponse).toHaveProperty("items");
    // lastSeen and the like may change by a few bytes; 1,024 peers used to add ~195 KB.
    expect(Math.abs(after.length - before)).toBeLessThan(200);
  });
});

describe("endpoint candidates (#8)", () => {
  // Each kind once; worker/agents/candidates.test.ts has the full table.
  const refused = [
    "169.254.169.254:80",
    "[fe80::1]:51820",
    "224.0.0.1:51820",
    "[ff02::1]:51820",
    "0.0.0.0:51820",
    "[::]:51820",
    "127.0.0.1:51820",
    "[::1]:51820",
    "[::ffff:169.254.169.254]:80",
    "metadata.google.internal:80",
  ];

  it("drops link-local, metadata, multicast, unspecified and loopback candidates of a remote agent", async () => {
    const { spokeAgent, spoke } = await pair();
    const res = await heartbeat(spokeAgent.credential, { endpoints: [...refused, "192.0.2.5:51820"] });
    expect(res.status).toBe(200);
    expect((await statusOf(spoke)).endpoints).toEqual(["192.0.2.5:51820"]);

    const fresh = await createCluster({ name: uniqueName("reg8") });
    await registerAgent(fresh.cluster.name, fresh.psk, { endpoints: [...refused, "192.0.2.6:51820"] });
    expect((await statusOf(fresh.cluster.name)).endpoints).toEqual(["192.0.2.6:51820"]);
  });

  it("keeps loopback candidates when the agent itself connects from loopback (local tests)", async () => {
    const { spokeAgent, spoke } = await pair();
    const res = await heartbeat(
      spokeAgent.credential,
      { endpoints: ["127.0.0.1:51820", "169.254.169.254:80"], listenPort: 51821 },
      "127.0.0.1",
    );
    expect(res.status).toBe(200);
    expect((await statusOf(spoke)).endpoints).toEqual(["127.0.0.1:51821", "127.0.0.1:51820"]);
  });
});
