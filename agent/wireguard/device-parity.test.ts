/**
 * Key-lifecycle and timer behaviour that must match wireguard-go (device/timers.go, send.go,
 * receive.go, peer.go), one scenario per difference found in an audit, on a fake clock.
 */
import { describe, expect, it } from "vitest";
import {
  ipv4Packet,
  type Network,
  type Node,
  ofType,
  pair,
  peerStateOf,
  transportCounter,
} from "../../test/wireguard/network.ts";
import type { Action } from "./actions.ts";

const TICK = 100;
const aToB = () => ipv4Packet("10.0.0.1", "10.0.0.2", 64);
const bToA = () => ipv4Packet("10.0.0.2", "10.0.0.1", 64);
const isInitiation = (a: Action) => a.type === "send" && a.data[0] === 1;
const isTransport = (a: Action) => a.type === "send" && a.data[0] === 4;

/** Ticks the network from `from` to `to` (inclusive); returns [time, action] for `node`'s new actions. */
function runClock(net: Network, node: Node, from: number, to: number): [number, Action][] {
  const seen: [number, Action][] = [];
  for (let t = from; t <= to; t += TICK) {
    const before = node.log.length;
    net.tick(t);
    for (const a of node.log.slice(before)) seen.push([t, a]);
  }
  return seen;
}

function established() {
  const p = pair({ bKnowsAEndpoint: true });
  p.net.run(p.a, p.a.device.encapsulate(aToB(), 0), 0);
  expect(p.b.delivered).toHaveLength(1);
  return p;
}

function sendsOf(actions: Action[]): Uint8Array[] {
  return ofType(actions, "send").map((s) => s.data);
}

describe("parity with wireguard-go", () => {
  it("1: giving up on a handshake keeps still-valid keys; the peer's next packet is delivered", () => {
    const { net, a, b } = established();
    net.filter = () => false;
    // Data with no answer: after 15 s a re-handshakes, and retries until it gives up.
    net.run(a, a.device.encapsulate(aToB(), 1_000), 1_000);
    const seen = runClock(net, a, 1_100, 130_000);
    const inits = seen.filter(([, x]) => isInitiation(x));
    expect(inits.length).toBe(20);
    expect(seen.filter(([, x]) => x.type === "session-expired")).toEqual([]);
    expect(a.device.peerStats("b").hasSession).toBe(true);
    // The link returns; b's session keys are 130 s old, still inside REJECT_AFTER_TIME.
    net.filter = null;
    net.run(b, b.device.encapsulate(bToA(), 130_000), 130_000);
    expect(a.delivered).toHaveLength(1);
    expect(a.device.drops.get("unknown-receiver")).toBeUndefined();
  });

  it("2: answering an initiation counts as a handshake sent, so the responder does not initiate within 5 s", () => {
    const { net, a, b } = pair({ bKnowsAEndpoint: true });
    // a's confirming keepalive is lost, so b holds the new keys in `next` and must queue its data.
    net.filter = (from, _to, data) => !(from.port === a.endpoint.port && data[0] === 4);
    net.run(a, a.device.initiateHandshake("b", 0), 0);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(1);
    const out = b.device.encapsulate(bToA(), 50);
    expect(sendsOf(out)).toEqual([]);
    // The queued packet goes out once a's data confirms the keys.
    net.filter = null;
    net.run(a, a.device.encapsulate(aToB(), 100), 100);
    expect(ofType(b.log, "handshake-complete")).toHaveLength(1);
    expect(a.delivered).toHaveLength(1);
  });

  it("3: the send counter is exact past 2^53, rekeys past 2^60 and stops short of 2^64 - 2^13", () => {
    const { net, a, b } = established();
    const key = peerStateOf(a.device, "b").current!;
    key.sendHi = 0x1fffff; // next counter 2^53 - 1
    key.sendLo = 0xffffffff;
    const counters: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const out = a.device.encapsulate(aToB(), 2_000 + i);
      counters.push(...sendsOf(out).map(transportCounter));
      net.run(a, out, 2_000 + i);
    }
    expect(counters).toEqual([2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n]);
    expect(b.delivered).toHaveLength(4);

    // REKEY_AFTER_MESSAGES: wireguard-go rekeys once the next counter exceeds 2^60.
    key.sendHi = 0x0fffffff; // next counter 2^60 - 1
    key.sendLo = 0xffffffff;
    const below = a.device.encapsulate(aToB(), 6_000);
    expect(sendsOf(below).map((d) => d[0])).toEqual([4]);
    const at = a.device.encapsulate(aToB(), 6_001);
    expect(sendsOf(at).map(transportCounter)[0]).toBe(2n ** 60n);
    expect(sendsOf(at).map((d) => d[0])).toEqual([4, 1]);

    // REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1: the last counter sent is one below it.
    const fresh = established();
    const last = peerStateOf(fresh.a.device, "b").current!;
    last.sendHi = 0xffffffff;
    last.sendLo = 0xffffdffe;
    fresh.net.filter = (_from, _to, data) => data[0] !== 1; // the rekey it starts is lost
    const final = fresh.a.device.encapsulate(aToB(), 10_000);
    expect(sendsOf(final).map((d) => d[0])).toEqual([4, 1]);
    expect(transportCounter(sendsOf(final)[0]!)).toBe(2n ** 64n - 2n ** 13n - 2n);
    fresh.net.run(fresh.a, final, 10_000);
    expect(fresh.b.delivered).toHaveLength(2);
    // Nothing is sealed with the exhausted key (and the last initiation was under 5 s ago)...
    expect(sendsOf(fresh.a.device.encapsulate(aToB(), 10_001))).toEqual([]);
    // ...so the packet waits for the retried handshake and arrives on the new session.
    fresh.net.filter = null;
    runClock(fresh.net, fresh.a, 10_100, 16_000);
    expect(fresh.b.delivered).toHaveLength(3);
    expect(peerStateOf(fresh.a.device, "b").current!.sendHi).toBe(0);
  });

  it("4: the responder also rekeys after REKEY_AFTER_MESSAGES", () => {
    const { net, b } = established();
    net.run(b, b.device.encapsulate(bToA(), 1_000), 1_000);
    const key = peerStateOf(b.device, "a").current!;
    expect(key.isInitiator).toBe(false);
    key.sendHi = 0x10000000; // next counter 2^60
    key.sendLo = 0;
    expect(sendsOf(b.device.encapsulate(bToA(), 10_000)).map((d) => d[0])).toEqual([4, 1]);
  });

  it("5: an initiation from the peer cancels the 'data got no answer' handshake timer", () => {
    const { net, a, b } = established();
    // a's transport packets are lost from here on; its handshake messages get through.
    net.filter = (from, _to, data) => !(from.port === a.endpoint.port && data[0] === 4);
    net.run(b, b.device.encapsulate(bToA(), 1_000), 1_000);
    net.run(a, a.device.initiateHandshake("b", 6_000), 6_000);
    expect(ofType(b.log, "send").filter((s) => s.data[0] === 2)).toHaveLength(2);
    const bInits = runClock(net, b, 6_100, 30_000).filter(([, x]) => isInitiation(x));
    expect(bInits).toEqual([]);
  });

  it("6: a passive keepalive follows any decrypted data, even a packet refused by allowed IPs", () => {
    const { net, a, b } = established();
    net.run(b, b.device.encapsulateTo("a", ipv4Packet("10.9.9.9", "10.0.0.1", 8), 1_000), 1_000);
    expect(a.device.drops.get("disallowed-source")).toBe(1);
    const keepalives = runClock(net, a, 1_100, 20_000).filter(
      ([, x]) => isTransport(x) && x.type === "send" && x.data.length === 32,
    );
    expect(keepalives.map(([t]) => t)).toEqual([11_000]);
  });

  it("7: the 540 s key wipe also drops packets waiting for a session", () => {
    const { net, a, b } = established();
    net.filter = () => false;
    const queued = ipv4Packet("10.0.0.1", "10.0.0.2", 11);
    net.run(a, a.device.encapsulate(queued, 500_000), 500_000);
    const wiped = runClock(net, a, 500_100, 545_000).filter(([, x]) => x.type === "session-expired");
    expect(wiped.map(([t]) => t)).toEqual([540_000]);
    net.filter = null;
    const later = ipv4Packet("10.0.0.1", "10.0.0.2", 22);
    net.run(a, a.device.encapsulate(later, 560_000), 560_000);
    expect(b.delivered.map((p) => p.length)).toEqual([84, 42]);
    expect(a.device.drops.get("no-session")).toBe(1);
  });

  it("8: gives up after 20 initiations (the first and 19 retries), 100 to 107 s after the first", () => {
    const { net, a } = pair();
    net.filter = () => false;
    net.run(a, a.device.encapsulate(aToB(), 0), 0);
    net.run(a, a.device.encapsulate(aToB(), 10), 10);
    const seen = runClock(net, a, TICK, 200_000);
    const inits = seen.filter(([, x]) => isInitiation(x)).map(([t]) => t);
    expect(inits).toHaveLength(19);
    const lastRetry = inits.at(-1)!;
    expect(lastRetry).toBeGreaterThanOrEqual(19 * 5_000);
    expect(lastRetry).toBeLessThanOrEqual(19 * (5_000 + 334) + TICK);
    // The queue is dropped at the 20th expiry, not before.
    expect(a.device.drops.get("no-session")).toBe(2);
  });
});
