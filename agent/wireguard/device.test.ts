import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ipv4Packet, ofType, pair } from "../../test/wireguard/network.ts";
import { createNobleBackend } from "./crypto/noble.ts";
import { Device } from "./device.ts";
import { generatePrivateKey } from "./keys.ts";

describe.each([
  ["node-crypto", {}],
  ["noble", { crypto: createNobleBackend() }],
])("two Devices in memory (%s)", (_name, crypto) => {
  it("handshakes on first packet, delivers it, and both sides see the session", () => {
    const { net, a, b } = pair({ a: crypto, b: crypto });
    const packet = ipv4Packet("10.0.0.1", "10.0.0.2", 100);
    net.run(a, a.device.encapsulate(packet, 1000), 1000);
    expect(b.delivered).toEqual([packet]);
    expect(ofType(a.log, "handshake-complete")).toEqual([
      { type: "handshake-complete", peer: "b", role: "initiator" },
    ]);
    expect(ofType(b.log, "handshake-complete")).toEqual([
      { type: "handshake-complete", peer: "a", role: "responder" },
    ]);
    expect(ofType(b.log, "endpoint-changed")).toEqual([
      { type: "endpoint-changed", peer: "a", endpoint: { host: "127.0.0.1", port: 51001 } },
    ]);
    expect(a.device.peerStats("b")).toMatchObject({ hasSession: true, lastHandshakeAt: 1000 });
    expect(b.device.peerStats("a")).toMatchObject({ hasSession: true, lastHandshakeAt: 1000 });

    const reply = ipv4Packet("10.0.0.2", "10.0.0.1", 1400);
    net.run(b, b.device.encapsulate(reply, 1001), 1001);
    expect(a.delivered).toEqual([reply]);
    expect(a.device.peerStats("b").rxBytes).toBeGreaterThan(1400);
    expect(b.device.peerStats("a").txBytes).toBeGreaterThan(1400);
  });

  it("handshakes in the other direction once the responder knows an endpoint", () => {
    const { net, a, b } = pair({ a: crypto, b: crypto, bKnowsAEndpoint: true });
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 3), 0), 0);
    expect(a.delivered).toHaveLength(1);
    expect(ofType(b.log, "handshake-complete")[0]?.role).toBe("initiator");
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 5), 1), 1);
    expect(b.delivered).toHaveLength(1);
  });

  it("works with a matching PSK and fails with a mismatched one", () => {
    const psk = new Uint8Array(32).fill(3);
    const ok = pair({ a: crypto, b: crypto, aPeer: { presharedKey: psk }, bPeer: { presharedKey: psk } });
    ok.net.run(ok.a, ok.a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2"), 0), 0);
    expect(ok.b.delivered).toHaveLength(1);

    const bad = pair({ a: crypto, b: crypto, aPeer: { presharedKey: psk } });
    bad.net.run(bad.a, bad.a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2"), 0), 0);
    expect(bad.b.delivered).toHaveLength(0);
    expect(ofType(bad.a.log, "drop")).toEqual([
      { type: "drop", reason: "handshake-decrypt-failed", peer: "b" },
    ]);
    expect(ofType(bad.a.log, "handshake-complete")).toHaveLength(0);
    expect(bad.a.device.peerStats("b").hasSession).toBe(false);
  });

  it("refuses an initiator whose key the responder does not know", () => {
    const { net, a, b } = pair({ a: crypto, b: crypto });
    b.device.removePeer("a");
    b.device.addPeer({
      name: "a",
      publicKey: new Device({ privateKey: generatePrivateKey() }).publicKey,
      allowedIps: [],
    });
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2"), 0), 0);
    expect(ofType(b.log, "drop")).toEqual([{ type: "drop", reason: "unknown-peer" }]);
    expect(b.device.drops.get("unknown-peer")).toBe(1);
  });

  it("refuses an initiation aimed at a different responder key (mac1)", () => {
    const { net, a, b } = pair({ a: crypto, b: crypto });
    a.device.removePeer("b");
    a.device.addPeer({
      name: "b",
      publicKey: new Device({ privateKey: generatePrivateKey() }).publicKey,
      endpoint: b.endpoint,
      allowedIps: ["10.0.0.2/32"],
    });
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2"), 0), 0);
    expect(ofType(b.log, "drop")).toEqual([{ type: "drop", reason: "bad-mac1" }]);
  });
});

describe("concurrent and reconfigured peers", () => {
  it("recovers when both sides initiate at the same moment", () => {
    const { net, a, b } = pair({ bKnowsAEndpoint: true });
    const held: { from: typeof a; data: Uint8Array }[] = [];
    net.filter = (from, _to, data) => {
      held.push({ from: from.port === a.endpoint.port ? a : b, data });
      return false;
    };
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), 0), 0);
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 2), 0), 0);
    net.filter = null;
    for (const h of held) {
      const target = h.from === a ? b : a;
      net.run(target, target.device.decapsulate(h.data, h.from.endpoint, 1), 1);
    }
    for (let t = 100; t <= 20_000 && (a.delivered.length === 0 || b.delivered.length === 0); t += 100)
      net.tick(t);
    expect(a.delivered).toHaveLength(1);
    expect(b.delivered).toHaveLength(1);
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 3), 21_000), 21_000);
    net.run(b, b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 4), 21_000), 21_000);
    expect(a.delivered).toHaveLength(2);
    expect(b.delivered).toHaveLength(2);
  });

  it("applies allowed-IP changes, new PSKs and peer removal", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), 0), 0);
    a.device.updatePeer("b", { allowedIps: ["10.0.1.0/24"] });
    expect(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2"), 1)).toEqual([
      { type: "drop", reason: "no-route" },
    ]);
    expect(ofType(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.1.9"), 1), "send")).toHaveLength(1);

    const psk = new Uint8Array(32).fill(9);
    a.device.updatePeer("b", { presharedKey: psk });
    b.device.updatePeer("a", { presharedKey: psk });
    net.run(a, a.device.initiateHandshake("b", 10_000), 10_000);
    expect(ofType(a.log, "handshake-complete")).toHaveLength(2);

    b.device.removePeer("a");
    const stale = ofType(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.1.9"), 10_001), "send")[0]!;
    expect(ofType(b.device.decapsulate(stale.data, a.endpoint, 10_001), "drop")[0]?.reason).toBe(
      "unknown-receiver",
    );
    expect(() => b.device.peerStats("a")).toThrow(/unknown peer/);
  });

  it("setPeerEndpoint redirects sends without an endpoint-changed event", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), 0), 0);
    a.device.setPeerEndpoint("b", { host: "127.0.0.5", port: 9 });
    const out = a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), 1);
    expect(out.map((x) => x.type)).toEqual(["send"]);
    expect(ofType(out, "send")[0]?.endpoint).toEqual({ host: "127.0.0.5", port: 9 });
    expect(a.device.peerStats("b").endpoint).toEqual({ host: "127.0.0.5", port: 9 });
    expect(b.delivered).toHaveLength(1);
  });
});

describe("secret hygiene", () => {
  it("erases ephemeral private keys once each handshake is done with them", () => {
    const handedOut: Uint8Array[] = [];
    const random = (n: number) => {
      const b = new Uint8Array(randomBytes(n));
      if (n === 32) handedOut.push(b);
      return b;
    };
    const { net, a, b } = pair({ a: { random }, b: { random } });
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1), 0), 0);
    expect(b.delivered).toHaveLength(1);
    expect(handedOut).toHaveLength(2);
    for (const k of handedOut) expect(k.every((x) => x === 0)).toBe(true);
  });
});

describe("padding and the MTU", () => {
  it("pads to 16 bytes but never past the MTU, and delivers the packet unpadded", () => {
    const { net, a, b } = pair({ a: { mtu: 1300 } });
    const sizes = [100, 1297, 1300];
    for (const [i, size] of sizes.entries()) {
      const packet = ipv4Packet("10.0.0.1", "10.0.0.2", size - 20);
      const out = a.device.encapsulate(packet, i);
      net.run(a, out, i);
    }
    // 16-byte header + padded plaintext + 16-byte tag; the first packet rode the handshake.
    const transports = net.wire.filter((w) => w.from.port === 51001 && w.data[0] === 4 && w.data.length > 32);
    expect(transports.map((w) => w.data.length - 32)).toEqual([112, 1300, 1300]);
    expect(b.delivered.map((p) => p.length)).toEqual(sizes);
  });

  it("follows an MTU lowered while running (agent values change it live)", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 80), 0), 0);
    a.device.setMtu(1300);
    expect(() => a.device.setMtu(67)).toThrow("mtu must be an integer from 68 to 65535, got 67");
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 1297 - 20), 1), 1);
    const transports = net.wire.filter((w) => w.from.port === 51001 && w.data[0] === 4 && w.data.length > 32);
    // Without the new MTU the 1297-byte packet would be padded to 1312.
    expect(transports.at(-1)?.data.length).toBe(1300 + 32);
    expect(b.delivered.at(-1)?.length).toBe(1297);
  });

  it("refuses an MTU outside 68..65535", () => {
    const privateKey = generatePrivateKey();
    expect(() => new Device({ privateKey, mtu: 67 })).toThrow(
      "mtu must be an integer from 68 to 65535, got 67",
    );
    expect(() => new Device({ privateKey, mtu: 1420.5 })).toThrow(/got 1420.5/);
  });
});
