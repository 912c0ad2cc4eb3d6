import { evictDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Cluster, Netmap } from "../protocol/api.ts";
import { ControlClose } from "../protocol/control.ts";
import { controlStub, controlUpgrade, openControl } from "../worker/test/control-channel.ts";
import {
  call,
  clearLocalClusters,
  createCluster,
  errorOf,
  json,
  putConfig,
  uniqueName,
} from "../worker/test/http.ts";
import { registeredAgent, type TestAgent } from "../worker/test/pair-relay.ts";

let hub: TestAgent;
let spoke: TestAgent;

beforeEach(async () => {
  await putConfig("peering: hub\nagentValues: {}\n");
  await clearLocalClusters();
  hub = await registeredAgent("hub", true);
  spoke = await registeredAgent("spoke");
});

async function httpNetmap(agent: TestAgent): Promise<Netmap> {
  return json<Netmap>(await call("GET", "/api/v1/agent/netmap", { token: agent.credential }));
}

async function cluster(name: string): Promise<Cluster> {
  return json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
}

const conditionOf = (c: Cluster, type: string) => c.status.conditions.find((x) => x.type === type);

describe("the control channel", () => {
  it("refuses a missing credential (401) and a plain GET (426)", async () => {
    expect((await errorOf(await controlUpgrade(null))).status).toBe(401);
    const plain = await errorOf(await controlUpgrade(hub.credential, false));
    expect(plain).toMatchObject({ status: 426, code: "upgrade_required" });
  });

  it("sends the whole netmap on connect, the same one GET /netmap answers", async () => {
    const ws = await openControl(spoke.credential);
    const first = await ws.next("netmap");
    expect(first.netmap).toEqual(await httpNetmap(spoke));
    expect(first.netmap.peers.map((p) => p.cluster)).toEqual([hub.cluster]);
  });

  it("pushes a newly registered spoke to the hub as a delta on its version", async () => {
    const ws = await openControl(hub.credential);
    const { netmap } = await ws.next("netmap");
    const newcomer = await registeredAgent("newcomer");
    const delta = await ws.next("netmap-delta");
    expect(delta.base).toBe(netmap.version);
    expect(delta.upserts.map((p) => p.cluster)).toEqual([newcomer.cluster]);
    expect(delta.removes).toEqual([]);
    // Applied, the delta gives exactly what a full fetch gives now, version included.
    expect(delta.version).toBe((await httpNetmap(hub)).version);
  });

  it("pushes a spoke's new endpoints from its status to the hub, and records them once", async () => {
    const hubWs = await openControl(hub.credential);
    await hubWs.next("netmap");
    const spokeWs = await openControl(spoke.credential);
    await spokeWs.next("netmap");
    spokeWs.ws.send(
      JSON.stringify({ type: "status", version: "0.1.0", endpoints: ["198.51.100.7:41641"], peers: [] }),
    );
    const delta = await hubWs.next("netmap-delta");
    expect(delta.upserts).toEqual([
      expect.objectContaining({ cluster: spoke.cluster, endpoints: ["198.51.100.7:41641"] }),
    ]);
    expect((await cluster(spoke.cluster)).status.endpoints).toEqual(["198.51.100.7:41641"]);
  });

  it("removes a deleted spoke from the hub and closes the spoke's channel as revoked", async () => {
    const hubWs = await openControl(hub.credential);
    await hubWs.next("netmap");
    const spokeWs = await openControl(spoke.credential);
    await spokeWs.next("netmap");
    expect((await call("DELETE", `/api/v1/clusters/${spoke.cluster}`)).status).toBe(204);
    const delta = await hubWs.next("netmap-delta");
    expect(delta.removes).toEqual([spoke.cluster]);
    await spokeWs.until(() => spokeWs.closed !== null, "spoke closed");
    expect(spokeWs.closed?.code).toBe(ControlClose.revoked);
    // And the credential is dead for a new channel too.
    expect((await errorOf(await controlUpgrade(spoke.credential))).status).toBe(401);
  });

  it("resends the whole netmap when the peering policy changes, and says values changed", async () => {
    const ws = await openControl(spoke.credential);
    await ws.next("netmap");
    const before = ws.messages().length;
    await putConfig("peering: mesh\nagentValues: {}\n");
    const again = await ws.next("netmap", before);
    expect(again.netmap.policy).toBe("mesh");
    await ws.next("values-changed", before);
  });

  it("answers a resync with the whole netmap, and closes on a frame that is not a message", async () => {
    const ws = await openControl(spoke.credential);
    await ws.next("netmap");
    const before = ws.messages().length;
    ws.ws.send(JSON.stringify({ type: "resync" }));
    await ws.next("netmap", before);
    ws.ws.send("{not json");
    await ws.until(() => ws.closed !== null, "closed");
    expect(ws.closed?.code).toBe(ControlClose.badMessage);
  });

  it("answers ping with pong without a message of its own", async () => {
    const ws = await openControl(spoke.credential);
    await ws.next("netmap");
    ws.ws.send("ping");
    await ws.until(() => ws.texts.includes("pong"), "pong");
  });

  it("shows presence in the cluster's conditions: connected while open, offline once closed", async () => {
    const created = await createCluster({ name: uniqueName("fresh") });
    const none = await cluster(created.cluster.name);
    expect(conditionOf(none, "AgentConnected")).toMatchObject({ status: "False", reason: "NeverConnected" });
    expect(none.status.conditions.map((c) => c.type)).toEqual([
      "AgentConnected",
      "AgentOffline",
      "DuplicateCluster",
      "CredentialRevoked",
      "VersionSkew",
      "DirectPathUnavailable",
    ]);

    const ws = await openControl(spoke.credential);
    await ws.next("netmap");
    const open = await cluster(spoke.cluster);
    expect(open.status.online).toBe(true);
    expect(conditionOf(open, "AgentConnected")).toMatchObject({
      status: "True",
      reason: "ControlChannelOpen",
    });
    expect(conditionOf(open, "AgentOffline")).toMatchObject({ status: "False" });

    ws.ws.close(1000, "bye");
    // The close reaches the object asynchronously; under load that takes more than a second.
    let closed = await cluster(spoke.cluster);
    for (let i = 0; i < 300 && closed.status.online; i++) {
      await new Promise((r) => setTimeout(r, 50));
      closed = await cluster(spoke.cluster);
    }
    expect(closed.status.online).toBe(false);
    expect(conditionOf(closed, "AgentOffline")).toMatchObject({ status: "True", reason: "NoSignOfLife" });
  });

  it("keeps the socket, the versioned netmap and presence across an eviction", async () => {
    const ws = await openControl(hub.credential);
    const { netmap } = await ws.next("netmap");
    await evictDurableObject(controlStub(hub.cluster), { webSockets: "hibernate" });
    // A new instance: it finds the socket and the netmap the agent holds, so a delta still applies.
    const newcomer = await registeredAgent("after-evict");
    const delta = await ws.next("netmap-delta");
    expect(delta.base).toBe(netmap.version);
    expect(delta.upserts.map((p) => p.cluster)).toEqual([newcomer.cluster]);
    expect(ws.closed).toBeNull();
    expect((await controlStub(hub.cluster).presence()).connected).toBe(true);
    ws.ws.send("ping");
    await ws.until(() => ws.texts.includes("pong"), "pong after eviction");
  });

  it("after an eviction that closes the socket, the cluster is offline and a reconnect gets the netmap", async () => {
    const ws = await openControl(spoke.credential);
    await ws.next("netmap");
    await evictDurableObject(controlStub(spoke.cluster), { webSockets: "close" });
    await ws.until(() => ws.closed !== null, "closed by eviction");
    const again = await openControl(spoke.credential);
    await again.next("netmap");
    expect((await cluster(spoke.cluster)).status.online).toBe(true);
  });
});
