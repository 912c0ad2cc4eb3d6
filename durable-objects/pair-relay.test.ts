import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  encodeRelayFrames,
  RELAY_FRAME_ACCEPTED,
  RELAY_FRAME_ADVERTISED,
  RelayClose,
} from "../protocol/relay.ts";
import { call, clearLocalClusters, errorOf, putConfig, registerAgent } from "../worker/test/http.ts";
import {
  openRelay,
  pairStub,
  registeredAgent,
  relayUpgrade,
  type TestAgent,
} from "../worker/test/pair-relay.ts";

const bytes = (...xs: number[]) => new Uint8Array(xs);

let hub: TestAgent;
let spoke: TestAgent;

beforeEach(async () => {
  await putConfig("peering: hub\nagentValues: {}\n");
  await clearLocalClusters();
  hub = await registeredAgent("hub", true);
  spoke = await registeredAgent("spoke");
});

describe("pairing", () => {
  it("forwards binary frames both ways, byte for byte and unread", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    const frame = encodeRelayFrames([bytes(1, 2, 3), new Uint8Array(1452).fill(7)])[0]!;
    a.ws.send(frame);
    await b.until(() => b.frames.length === 1, "frame at b");
    expect(b.frames[0]).toEqual(frame);
    // Not even the framing is checked: the relay does not read what it carries.
    b.ws.send(bytes(0, 0, 0xff));
    await a.until(() => a.frames.length === 1, "frame at a");
    expect(a.frames[0]).toEqual(bytes(0, 0, 0xff));
    const stats = await pairStub(hub.cluster, spoke.cluster).stats();
    expect(stats.sides).toEqual([hub.cluster, spoke.cluster].sort());
    expect(stats.forwardedFrames).toBe(2);
    expect(stats.forwardedBytes).toBe(frame.length + 3);
  });

  it("answers the exact string ping with pong, and closes on any other text with 1003", async () => {
    const a = await openRelay(hub, spoke.cluster);
    a.ws.send("ping");
    await a.until(() => a.texts.length === 1, "pong");
    expect(a.texts).toEqual(["pong"]);
    a.ws.send('{"type":"heartbeat"}');
    await a.until(() => a.closed !== null, "close");
    expect(a.closed?.code).toBe(RelayClose.unsupportedData);
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).droppedText).toBe(1);
  });

  it("ignores relay headers a client sends: sides come from the credential", async () => {
    const res = await call("GET", `/relay/${spoke.cluster}`, {
      token: hub.credential,
      headers: { upgrade: "websocket", "x-tether-relay-side": spoke.cluster, "x-tether-relay-peer": "x" },
    });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).sides).toEqual([hub.cluster]);
    res.webSocket?.close(1000, "done");
  });
});

describe("limits", () => {
  it("closes with 1009 on a frame over 1 MiB and counts it; the advertised 256 KiB and exactly 1 MiB pass", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    a.ws.send(new Uint8Array(RELAY_FRAME_ADVERTISED).fill(1));
    await b.until(() => b.frames.length === 1, "advertised-size frame");
    expect(b.frames[0]?.length).toBe(RELAY_FRAME_ADVERTISED);
    a.ws.send(new Uint8Array(RELAY_FRAME_ACCEPTED).fill(2));
    await b.until(() => b.frames.length === 2, "max-size frame", 10_000);
    expect(b.frames[1]?.length).toBe(RELAY_FRAME_ACCEPTED);
    expect(b.frames[1]?.every((x) => x === 2)).toBe(true);
    a.ws.send(new Uint8Array(RELAY_FRAME_ACCEPTED + 1));
    await a.until(() => a.closed !== null, "1009 close");
    expect(a.closed?.code).toBe(RelayClose.tooBig);
    expect(b.frames).toHaveLength(2);
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).droppedOversize).toBe(1);
  });

  it("drops and counts a frame for an absent peer", async () => {
    const a = await openRelay(hub, spoke.cluster);
    a.ws.send(bytes(0, 1, 9));
    a.ws.send(bytes(0, 1, 8));
    const stub = pairStub(hub.cluster, spoke.cluster);
    await a.until(() => false, "nothing", 200).catch(() => undefined);
    expect((await stub.stats()).droppedNoPeer).toBe(2);
    // The drop hurt nothing: the peer arrives and the next frame goes through.
    const b = await openRelay(spoke, hub.cluster);
    a.ws.send(bytes(0, 1, 7));
    await b.until(() => b.frames.length === 1, "frame after peer joined");
    expect(b.frames[0]).toEqual(bytes(0, 1, 7));
  });

  it("survives random frames: every one is forwarded intact, none crashes the object", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const f = new Uint8Array(1 + Math.floor(Math.random() * 3000));
      crypto.getRandomValues(f);
      sent.push(f);
      a.ws.send(f);
    }
    await b.until(() => b.frames.length === sent.length, "50 random frames", 5000);
    // Compared as sets: the test's client socket is proxied through the Worker's fetch entry,
    // and that hop (not the object, which forwards in arrival order) may reorder a burst.
    // Order through a real socket is checked by the end-to-end relay test.
    const key = (f: Uint8Array) => Array.from(f).join(",");
    expect(b.frames.map(key).sort()).toEqual(sent.map(key).sort());
    expect(a.closed).toBeNull();
  });
});

describe("replacement", () => {
  it("a second socket from one side replaces the first, with 4000, and gets the traffic", async () => {
    const first = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    const second = await openRelay(hub, spoke.cluster);
    await first.until(() => first.closed !== null, "old socket closed");
    expect(first.closed?.code).toBe(RelayClose.replaced);
    b.ws.send(bytes(0, 1, 42));
    await second.until(() => second.frames.length === 1, "frame on the new socket");
    expect(second.frames[0]).toEqual(bytes(0, 1, 42));
    expect(first.frames).toHaveLength(0);
  });
});

describe("who may attach", () => {
  it("refuses a missing or wrong credential with 401, and a plain GET with 426", async () => {
    expect(await errorOf(await relayUpgrade(null, hub.cluster))).toMatchObject({
      status: 401,
      code: "missing_credential",
    });
    expect(await errorOf(await relayUpgrade("tac_not-a-real-credential", hub.cluster))).toMatchObject({
      status: 401,
      code: "invalid_credential",
    });
    const plain = await relayUpgrade(spoke.credential, hub.cluster, false);
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
  });

  it("refuses an unknown peer (404), itself or a bad name (400), and an unpaired peer under hub (403)", async () => {
    expect((await errorOf(await relayUpgrade(spoke.credential, "no-such-cluster"))).status).toBe(404);
    expect((await errorOf(await relayUpgrade(spoke.credential, spoke.cluster))).code).toBe("invalid_peer");
    expect((await errorOf(await relayUpgrade(spoke.credential, "Bad_Name"))).status).toBe(400);
    const other = await registeredAgent("spoke2");
    expect(await errorOf(await relayUpgrade(spoke.credential, other.cluster))).toMatchObject({
      status: 403,
      code: "not_peered",
    });
    await putConfig("peering: mesh\nagentValues: {}\n");
    const meshed = await relayUpgrade(spoke.credential, other.cluster);
    expect(meshed.status).toBe(101);
    meshed.webSocket?.accept();
    meshed.webSocket?.close(1000, "done");
  });

  it("a third agent cannot join, read or inject into another pair", async () => {
    await putConfig("peering: mesh\nagentValues: {}\n");
    const third = await registeredAgent("third");
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    // The third agent's socket to hub lands in the (hub, third) object, never in (hub, spoke).
    const c = await openRelay(third, hub.cluster);
    c.ws.send(bytes(0, 1, 66));
    a.ws.send(bytes(0, 1, 1));
    await b.until(() => b.frames.length === 1, "pair traffic");
    await c.until(() => false, "nothing", 200).catch(() => undefined);
    expect(b.frames).toEqual([bytes(0, 1, 1)]);
    expect(a.frames).toHaveLength(0);
    expect(c.frames).toHaveLength(0);
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).sides).toEqual(
      [hub.cluster, spoke.cluster].sort(),
    );
  });
});

describe("peering policy changes", () => {
  it("going from mesh back to hub closes a spoke-to-spoke relay with 4002 and keeps hub pairs", async () => {
    await putConfig("peering: mesh\nagentValues: {}\n");
    const other = await registeredAgent("spoke2");
    const a = await openRelay(spoke, other.cluster);
    const b = await openRelay(other, spoke.cluster);
    const h = await openRelay(hub, spoke.cluster);
    a.ws.send(bytes(1, 2, 3));
    await b.until(() => b.frames.length === 1, "frame under mesh");
    await putConfig("peering: hub\nagentValues: {}\n");
    await a.until(() => a.closed !== null, "spoke side closed");
    await b.until(() => b.closed !== null, "other side closed");
    expect(a.closed?.code).toBe(RelayClose.policy);
    expect(b.closed?.code).toBe(RelayClose.policy);
    expect(h.closed).toBeNull();
    expect((await errorOf(await relayUpgrade(spoke.credential, other.cluster))).status).toBe(403);
  });

  it("a change through PUT /api/v1/config/agent-values that keeps peering closes nothing", async () => {
    await putConfig("peering: mesh\nagentValues: {}\n");
    const other = await registeredAgent("spoke3");
    const a = await openRelay(spoke, other.cluster);
    const res = await call("PUT", "/api/v1/config/agent-values", { json: { logLevel: "debug" } });
    expect(res.status).toBe(200);
    const b = await openRelay(other, spoke.cluster);
    a.ws.send(bytes(9));
    await b.until(() => b.frames.length === 1, "frame still relayed");
    expect(a.closed).toBeNull();
  });
});

describe("revocation", () => {
  it("deleting a cluster closes its sockets with 4001 at once, and its credential is refused", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    expect((await call("DELETE", `/api/v1/clusters/${spoke.cluster}`)).status).toBe(204);
    await b.until(() => b.closed !== null, "deleted side closed");
    expect(b.closed?.code).toBe(RelayClose.revoked);
    expect(a.closed).toBeNull();
    expect((await errorOf(await relayUpgrade(spoke.credential, hub.cluster))).status).toBe(401);
  });

  it("re-registering replaces the credential and closes the old one's sockets", async () => {
    const created = await call("POST", `/api/v1/clusters/${spoke.cluster}/rotate-psk`);
    const { psk } = (await created.json()) as { psk: string };
    const b = await openRelay(spoke, hub.cluster);
    const fresh = await registerAgent(spoke.cluster, psk);
    await b.until(() => b.closed !== null, "old credential's socket closed");
    expect(b.closed?.code).toBe(RelayClose.revoked);
    expect((await errorOf(await relayUpgrade(spoke.credential, hub.cluster))).status).toBe(401);
    const again = await openRelay({ cluster: spoke.cluster, credential: fresh.credential }, hub.cluster);
    expect(again.closed).toBeNull();
  });
});

describe("restart", () => {
  it("keeps forwarding between hibernated sockets after the object is evicted", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    const stub = pairStub(hub.cluster, spoke.cluster);
    a.ws.send(bytes(0, 1, 1));
    await b.until(() => b.frames.length === 1, "frame before eviction");
    // The instance goes away (in-memory state with it); the sockets hibernate and stay open.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    a.ws.send(bytes(0, 1, 2));
    await b.until(() => b.frames.length === 2, "frame after eviction, a to b");
    b.ws.send(bytes(0, 2, 3, 4));
    await a.until(() => a.frames.length === 1, "frame after eviction, b to a");
    expect(b.frames[1]).toEqual(bytes(0, 1, 2));
    expect(a.frames[0]).toEqual(bytes(0, 2, 3, 4));
    expect(a.closed).toBeNull();
    expect(b.closed).toBeNull();
    // Both sides are still known to the new instance: it found them among its hibernated sockets.
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).sides).toEqual(
      [hub.cluster, spoke.cluster].sort(),
    );
  });

  it("after an eviction that closes the sockets, a side reconnects and pairs again", async () => {
    const a = await openRelay(hub, spoke.cluster);
    await openRelay(spoke, hub.cluster);
    await evictDurableObject(pairStub(hub.cluster, spoke.cluster), { webSockets: "close" });
    await a.until(() => a.closed !== null, "socket closed by the eviction");
    const a2 = await openRelay(hub, spoke.cluster);
    const b2 = await openRelay(spoke, hub.cluster);
    a2.ws.send(bytes(0, 1, 9));
    await b2.until(() => b2.frames.length === 1, "frame after reconnect");
    expect(b2.frames[0]).toEqual(bytes(0, 1, 9));
  });

  it("keeps drop counters in storage across an object reset", async () => {
    const a = await openRelay(hub, spoke.cluster);
    a.ws.send(bytes(0, 1, 5));
    const stub = pairStub(hub.cluster, spoke.cluster);
    await a.until(() => false, "nothing", 200).catch(() => undefined);
    expect((await stub.stats()).droppedNoPeer).toBe(1);
    await abortAllDurableObjects();
    expect((await pairStub(hub.cluster, spoke.cluster).stats()).droppedNoPeer).toBe(1);
  });
});

// Where request.cf says each agent is (real city coordinates).
const TOKYO = { continent: "AS", latitude: "35.68", longitude: "139.69", colo: "NRT" };
const SYDNEY = { continent: "OC", latitude: "-33.87", longitude: "151.21", colo: "SYD" };
const PARIS = { continent: "EU", latitude: "48.86", longitude: "2.35", colo: "CDG" };

describe("handshake and placement", () => {
  it("greets every socket with the frame cap it accepts and the pair's placement", async () => {
    const a = await openRelay(hub, spoke.cluster);
    await a.until(() => a.hello !== null, "hello");
    expect(a.hello).toEqual({
      type: "hello",
      maxFrame: RELAY_FRAME_ADVERTISED,
      placement: { locationHint: null, jurisdiction: null, worstKm: null, basis: "none" },
    });
    // Liveness is unchanged by the hello: "ping" still gets the auto-response.
    a.ws.send("ping");
    await a.until(() => a.texts.length === 1, "pong");
    expect(a.texts).toEqual(["pong"]);
  });

  it("places a pair between both agents when its object is first created, and records it", async () => {
    // The hub is in Sydney; its location becomes known with its first pair (only one side known).
    const first = await openRelay(hub, spoke.cluster, SYDNEY);
    await first.until(() => first.hello !== null, "hello (hub, spoke)");
    expect(first.hello?.placement).toMatchObject({ locationHint: "oc", basis: "one", worstKm: null });
    // A spoke in Tokyo: both locations are known when the (hub, tokyo) object is created.
    const tokyo = await registeredAgent("tokyo");
    const a = await openRelay(tokyo, hub.cluster, TOKYO);
    await a.until(() => a.hello !== null, "hello (tokyo, hub)");
    expect(a.hello?.placement?.locationHint).toBe("apac");
    expect(a.hello?.placement?.basis).toBe("both");
    expect(a.hello?.placement?.worstKm).toBeGreaterThan(5_000);
    expect(a.hello?.placement?.worstKm).toBeLessThan(6_500);
    // Recorded: a later connection from elsewhere does not move it (a hint only counts at creation).
    const b = await openRelay(hub, tokyo.cluster, PARIS);
    await b.until(() => b.hello !== null, "hello (hub, tokyo)");
    expect(b.hello?.placement).toEqual(a.hello?.placement);
    const detail = (await (await call("GET", `/api/v1/clusters/${hub.cluster}`)).json()) as {
      relays?: Record<string, unknown>;
    };
    expect(detail.relays?.[tokyo.cluster]).toEqual(a.hello?.placement);
    expect(detail.relays?.[spoke.cluster]).toEqual(first.hello?.placement);
  });

  it("records relay.jurisdiction in the placement, and says so when the runtime cannot honour it", async () => {
    await putConfig("peering: hub\nagentValues: {}\nrelay:\n  jurisdiction: eu\n");
    // Local workerd has no jurisdictions: the upgrade is refused with why, never placed outside it.
    const res = await relayUpgrade(hub.credential, spoke.cluster, true, PARIS);
    expect(await errorOf(res)).toMatchObject({ status: 501, code: "jurisdiction_unavailable" });
    const detail = (await (await call("GET", `/api/v1/clusters/${hub.cluster}`)).json()) as {
      relays: Record<string, { jurisdiction: string | null; locationHint: string | null }>;
    };
    expect(detail.relays[spoke.cluster]).toMatchObject({ jurisdiction: "eu", locationHint: "weur" });
    // Revocation still works with the setting on (it looks in every namespace that exists here).
    expect((await call("DELETE", `/api/v1/clusters/${spoke.cluster}`)).status).toBe(204);
    // A bad jurisdiction is refused with the key named.
    const bad = await call("PUT", "/api/v1/config", {
      body: "agentValues: {}\nrelay:\n  jurisdiction: mars\n",
      headers: { "content-type": "application/yaml" },
    });
    expect(await errorOf(bad)).toMatchObject({ status: 422, code: "invalid_config" });
    await putConfig("peering: hub\nagentValues: {}\n");
  });
});
