import { describe, expect, it } from "vitest";
import { ipv4Packet, type Network, type Node, ofType, pair } from "../../test/wireguard/network.ts";
import type { Action } from "./actions.ts";
import { Device } from "./device.ts";

const TICK = 100;

/** Ticks the network from `from` to `to` (inclusive) and returns [time, action] for `node`'s new actions. */
function runClock(net: Network, node: Node, from: number, to: number): [number, Action][] {
  const seen: [number, Action][] = [];
  for (let t = from; t <= to; t += TICK) {
    const before = node.log.length;
    net.tick(t);
    for (const a of node.log.slice(before)) seen.push([t, a]);
  }
  return seen;
}

const isInitiation = ([, a]: [number, Action]) => a.type === "send" && a.data[0] === 1;
const isKeepalive = ([, a]: [number, Action]) => a.type === "send" && a.data[0] === 4 && a.data.length === 32;
const times = (xs: [number, Action][]) => xs.map(([t]) => t);
const aToB = (_from?: Node) => ipv4Packet("10.0.0.1", "10.0.0.2", 64);

function established() {
  const p = pair();
  p.net.run(p.a, p.a.device.encapsulate(aToB(p.a), 0), 0);
  expect(p.b.delivered).toHaveLength(1);
  return p;
}

describe("timers (fake clock)", () => {
  it("retries an unanswered initiation every 5 s + jitter, never sooner", () => {
    const { net, a } = pair();
    net.filter = () => false;
    net.run(a, a.device.encapsulate(aToB(a), 0), 0);
    expect(ofType(a.log, "send").filter((s) => s.data[0] === 1)).toHaveLength(1);
    const retries = times(runClock(net, a, TICK, 30_000).filter(isInitiation));
    expect(retries.length).toBeGreaterThanOrEqual(5);
    let prev = 0;
    for (const t of retries) {
      expect(t - prev).toBeGreaterThanOrEqual(5_000);
      expect(t - prev).toBeLessThanOrEqual(5_000 + 334 + TICK);
      prev = t;
    }
  });

  it("sends a passive keepalive 10 s after receiving data it did not answer", () => {
    const { net, b } = established();
    const keepalives = times(runClock(net, b, TICK, 25_000).filter(isKeepalive));
    expect(keepalives).toEqual([10_000]);
  });

  it("sends persistent keepalives at the configured interval, and one at once when switched on", () => {
    const { net, a } = established();
    a.device.updatePeer("b", { persistentKeepaliveSeconds: 25 });
    const seen = runClock(net, a, 1_000, 80_000).filter(isKeepalive);
    // b's passive keepalive at 10 s is an authenticated packet too, so it restarts a's 25 s interval.
    expect(times(seen)).toEqual([1_000, 35_000, 60_000]);
  });

  it("starts a handshake when data got no answer for 15 s", () => {
    const { net, a, b } = established();
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 8), 500), 500);
    net.filter = (from) => from.port !== 51002; // b can no longer reach a
    net.run(a, a.device.encapsulate(aToB(a), 1_000), 1_000);
    const inits = times(runClock(net, a, 1_100, 17_000).filter(isInitiation));
    expect(inits).toHaveLength(1);
    expect(inits[0]).toBeGreaterThanOrEqual(16_000);
    expect(inits[0]).toBeLessThanOrEqual(16_000 + 334 + TICK);
  });

  it("rekeys on send after 120 s (initiator only), not before", () => {
    const { net, a, b } = established();
    net.run(a, a.device.encapsulate(aToB(a), 119_000), 119_000);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(1);
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 8), 121_000), 121_000);
    expect(ofType(b.log, "send").filter((s) => s.data[0] === 1)).toHaveLength(0);
    net.run(a, a.device.encapsulate(aToB(a), 121_000), 121_000);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(2);
    expect(a.device.peerStats("b").lastHandshakeAt).toBe(121_000);
  });

  it("rekeys on receive when the initiator's keys are 165 s old", () => {
    const { net, a, b } = established();
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 8), 164_000), 164_000);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(1);
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 8), 166_000), 166_000);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(2);
  });

  it("refuses transport on keys older than 180 s and renegotiates before sending", () => {
    const { net, a, b } = established();
    net.filter = () => false;
    net.run(a, a.device.encapsulate(aToB(a), 179_000), 179_000);
    // Past REKEY_AFTER_TIME the send also started a handshake (lost here).
    expect(net.wire.slice(-2).map((w) => w.data[0])).toEqual([4, 1]);
    const late = net.wire.at(-2)!;
    expect(ofType(b.device.decapsulate(late.data, late.from, 181_000), "drop")).toEqual([
      { type: "drop", reason: "key-expired", peer: "a" },
    ]);
    // With expired keys nothing is sealed; the packet waits for the retried handshake.
    expect(ofType(a.device.encapsulate(aToB(a), 181_000), "send")).toEqual([]);
    const retry = runClock(net, a, 181_100, 185_000).filter(isInitiation);
    expect(retry).toHaveLength(1);
    net.filter = null;
    runClock(net, a, 185_100, 196_000);
    // The 179 s packet was lost with the link; the one queued at 181 s arrives.
    expect(b.delivered).toHaveLength(2);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(2);
  });

  it("zeroes keys and emits session-expired 540 s after the last handshake", () => {
    const { net, a, b } = established();
    const seen = runClock(net, a, TICK, 545_000).filter(([, x]) => x.type === "session-expired");
    expect(times(seen)).toEqual([540_000]);
    expect(ofType(b.log, "session-expired")).toHaveLength(1);
    expect(a.device.peerStats("b").hasSession).toBe(false);
    expect(b.device.peerStats("a").hasSession).toBe(false);
  });

  it("responder promotes new keys only on the first data packet (key confirmation)", () => {
    const { net, a, b } = pair();
    let transports = 0;
    net.filter = (_from, _to, data) => !(data[0] === 4 && transports++ === 0);
    net.run(a, a.device.encapsulate(aToB(a), 0), 0);
    // The keepalive that confirms the keys was lost; the queued packet went after it.
    expect(ofType(b.log, "handshake-complete")).toHaveLength(0);
    net.run(a, a.device.encapsulate(aToB(a), 50), 50);
    expect(ofType(b.log, "handshake-complete")).toEqual([
      { type: "handshake-complete", peer: "a", role: "responder" },
    ]);
    expect(b.delivered).toHaveLength(1);
  });

  it("a device with persistent keepalive handshakes on its first tick", () => {
    const { net, a, b } = pair({ aPeer: { persistentKeepaliveSeconds: 20 } });
    net.tick(0);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(1);
    expect(ofType(b.log, "handshake-complete")).toHaveLength(1);
  });
});

describe("initiation replay and flood protection", () => {
  it("refuses a replayed initiation and one arriving within 20 ms of the last, then accepts later ones", () => {
    const { net, a, b } = pair();
    const aKey = new Uint8Array(32).fill(0x41);
    // Rebuild the pair around a known key so a twin device can produce fresh initiations as "a".
    const twin = (offsetMs: number) => {
      const d = new Device({ privateKey: aKey, wallClock: () => Date.now() + offsetMs });
      d.addPeer({
        name: "b",
        publicKey: b.device.publicKey,
        endpoint: b.endpoint,
        allowedIps: ["10.0.0.2/32"],
      });
      return d;
    };
    b.device.removePeer("a");
    b.device.addPeer({ name: "a", publicKey: twin(0).publicKey, allowedIps: ["10.0.0.1/32"] });
    const initOf = (d: Device, now: number) => ofType(d.initiateHandshake("b", now), "send")[0]!.data;
    const first = initOf(twin(0), 0);
    const reasons = (data: Uint8Array, now: number) =>
      b.device.decapsulate(data, a.endpoint, now).map((x) => (x.type === "drop" ? x.reason : x.type));
    expect(reasons(first, 0)).toEqual(["endpoint-changed", "send"]);
    expect(reasons(first, 1_000)).toEqual(["replayed-timestamp"]);
    expect(reasons(initOf(twin(1_000), 10), 10)).toEqual(["initiation-flood"]);
    expect(reasons(initOf(twin(2_000), 30), 30)).toEqual(["send"]);
    expect(net.nodes.size).toBe(2);
  });

  it("does not send a new initiation within 5 s of the last one, however much data waits", () => {
    const { net, a } = pair();
    net.filter = () => false;
    net.run(a, a.device.encapsulate(aToB(), 0), 0);
    for (const t of [1, 2_000, 4_999]) expect(ofType(a.device.encapsulate(aToB(), t), "send")).toEqual([]);
    expect(ofType(a.device.initiateHandshake("b", 4_999), "send")).toEqual([]);
    expect(ofType(a.device.initiateHandshake("b", 5_000), "send").map((s) => s.data[0])).toEqual([1]);
  });
});
