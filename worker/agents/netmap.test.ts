import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HeartbeatResponse, Netmap } from "../../protocol/api.ts";
import {
  call,
  clearLocalClusters,
  createCluster,
  json,
  putConfig,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

async function netmap(credential: string): Promise<Netmap> {
  const res = await call("GET", "/api/v1/agent/netmap", { token: credential });
  expect(res.status).toBe(200);
  return json<Netmap>(res);
}

/** Three registered clusters, the first local, plus one that never registered. */
async function threeClusters() {
  const hub = await createCluster({ name: uniqueName("hub"), local: true });
  const a = await createCluster({ name: uniqueName("spoke-a") });
  const b = await createCluster({ name: uniqueName("spoke-b") });
  const silent = await createCluster({ name: uniqueName("silent") });
  const hubAgent = await registerAgent(hub.cluster.name, hub.psk, { endpoints: ["192.0.2.1:51820"] });
  const aAgent = await registerAgent(a.cluster.name, a.psk);
  const bAgent = await registerAgent(b.cluster.name, b.psk);
  return { hub, a, b, silent, hubAgent, aAgent, bAgent };
}

beforeEach(clearLocalClusters);
afterEach(async () => {
  await clearLocalClusters();
  await putConfig("agentValues: {}\n");
});

describe("GET /api/v1/agent/netmap", () => {
  it("hub: spokes see only the local cluster; the local cluster sees every registered spoke", async () => {
    await putConfig("peering: hub\nagentValues: {}\n");
    const { hub, a, b, silent, hubAgent, aAgent } = await threeClusters();

    const fromA = await netmap(aAgent.credential);
    expect(fromA.policy).toBe("hub");
    expect(fromA.self).toEqual({
      cluster: a.cluster.name,
      meshIp: a.cluster.meshIp,
      publicKey: aAgent.publicKey,
    });
    expect(fromA.peers).toEqual([
      {
        cluster: hub.cluster.name,
        meshIp: hub.cluster.meshIp,
        publicKey: hubAgent.publicKey,
        endpoints: ["192.0.2.1:51820"],
        online: true,
      },
    ]);

    const fromHub = await netmap(hubAgent.credential);
    const names = fromHub.peers.map((p) => p.cluster);
    expect(names).toEqual(expect.arrayContaining([a.cluster.name, b.cluster.name]));
    expect(names).not.toContain(hub.cluster.name);
    expect(names).not.toContain(silent.cluster.name);
    expect(names).toEqual([...names].sort());
  });

  it("mesh: every cluster sees every other registered cluster", async () => {
    await putConfig("peering: mesh\nagentValues: {}\n");
    const { hub, a, b, silent, aAgent, bAgent } = await threeClusters();
    for (const [agent, self] of [
      [aAgent, a],
      [bAgent, b],
    ] as const) {
      const map = await netmap(agent.credential);
      expect(map.policy).toBe("mesh");
      const names = map.peers.map((p) => p.cluster);
      expect(names).toEqual(
        expect.arrayContaining(
          [hub.cluster.name, a.cluster.name, b.cluster.name].filter((n) => n !== self.cluster.name),
        ),
      );
      expect(names).not.toContain(self.cluster.name);
      expect(names).not.toContain(silent.cluster.name);
    }
  });

  it("hub without any local cluster leaves spokes with no peers", async () => {
    await putConfig("agentValues: {}\n");
    const a = await createCluster({ name: uniqueName("lonely") });
    const agent = await registerAgent(a.cluster.name, a.psk);
    expect((await netmap(agent.credential)).peers).toEqual([]);
  });

  it("netmapVersion changes when the netmap does, and matches the netmap's version", async () => {
    await putConfig("peering: hub\nagentValues: {}\n");
    const hub = await createCluster({ name: uniqueName("vhub"), local: true });
    const hubAgent = await registerAgent(hub.cluster.name, hub.psk);
    const hb = async () =>
      json<HeartbeatResponse>(
        await call("POST", "/api/v1/agent/heartbeat", {
          token: hubAgent.credential,
          json: { version: "0.1.0", endpoints: [], peers: [] },
        }),
      );
    const before = await hb();
    expect(before.netmapVersion).toBe((await netmap(hubAgent.credential)).version);
    const spoke = await createCluster({ name: uniqueName("vspoke") });
    await registerAgent(spoke.cluster.name, spoke.psk);
    const after = await hb();
    expect(after.netmapVersion).not.toBe(before.netmapVersion);
    expect(after.netmapVersion).toBe((await netmap(hubAgent.credential)).version);
    expect(after.valuesVersion).toBe(before.valuesVersion);
  });
});
