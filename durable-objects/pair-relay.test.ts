import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { encodeRelayFrames, MAX_RELAY_FRAME, RelayClose } from "../protocol/relay.ts";
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
  it("closes with 1009 on a frame over 64 KiB and counts it; exactly 64 KiB passes", async () => {
    const a = await openRelay(hub, spoke.cluster);
    const b = await openRelay(spoke, hub.cluster);
    a.ws.send(new Uint8Array(MAX_RELAY_FRAME));
    await b.until(() => b.frames.length === 1, "max-size frame");
    expect(b.frames[0]?.length).toBe(MAX_RELAY_FRAME);
    a.ws.send(new Uint8Array(MAX_RELAY_FRAME + 1));
    await a.until(() => a.closed !== null, "1009 close");
    expect(a.closed?.code).toBe(RelayClose.tooBig);
    expect(b.frames).toHaveLength(1);
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
