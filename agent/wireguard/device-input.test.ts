import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipv4Packet, ofType, pair } from "../../test/wireguard/network.ts";
import type { Action, Endpoint } from "./actions.ts";

const ATTACKER: Endpoint = { host: "203.0.113.66", port: 6666 };
const accepted = (actions: Action[]) =>
  actions.filter(
    (a) => a.type === "deliver" || a.type === "handshake-complete" || a.type === "endpoint-changed",
  );

/** A session a->b with every kind of message captured off the wire (cookie reply included). */
function capture() {
  const p = pair({ b: { underLoad: () => true } });
  p.net.run(p.a, p.a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 40), 0), 0);
  for (let t = 100; t <= 6_000 && p.b.delivered.length === 0; t += 100) p.net.tick(t);
  p.net.run(p.b, p.b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1", 40), 6_100), 6_100);
  const byType = (t: number) => p.net.wire.filter((w) => w.data[0] === t).map((w) => w.data);
  const samples = [...byType(1), ...byType(2), ...byType(3), ...byType(4)];
  expect(new Set(samples.map((s) => s[0]))).toEqual(new Set([1, 2, 3, 4]));
  return { ...p, samples };
}

describe("hostile input to decapsulate", () => {
  const { a, b, samples } = capture();

  it("random datagrams never throw and are never accepted", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(1, 2, 3, 4, 0, 9), (bytes, type) => {
        const d = bytes.slice();
        if (d.length > 0) d[0] = type;
        for (const dev of [a.device, b.device]) {
          const out = dev.decapsulate(d, ATTACKER, 7_000);
          expect(accepted(out)).toEqual([]);
          expect(ofType(out, "send").every((s) => s.peer === "" && s.data[0] === 3)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("truncated and bit-flipped copies of real messages are never accepted", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (original, pos, bit, truncate) => {
          const d = truncate ? original.slice(0, pos % original.length) : original.slice();
          if (!truncate) d[pos % d.length]! ^= 1 << bit;
          for (const dev of [a.device, b.device])
            expect(accepted(dev.decapsulate(d, ATTACKER, 7_000))).toEqual([]);
        },
      ),
      { numRuns: 1500 },
    );
    expect(a.device.peerStats("b").endpoint).toEqual(b.endpoint);
    expect(b.device.peerStats("a").endpoint).toEqual(a.endpoint);
  });

  it("replays of every captured message are refused", () => {
    for (const s of samples) {
      for (const dev of [a.device, b.device])
        expect(accepted(dev.decapsulate(s, ATTACKER, 7_000))).toEqual([]);
    }
  });
});

describe("malformed messages are counted drops", () => {
  it.each([
    ["too-short", Uint8Array.of(4, 0)],
    ["unknown-type", Uint8Array.of(7, 0, 0, 0, 1, 2, 3, 4)],
    ["reserved-nonzero", Uint8Array.of(4, 0, 1, 0, ...new Uint8Array(40))],
    ["bad-length", Uint8Array.of(1, 0, 0, 0, ...new Uint8Array(100))],
    ["bad-mac1", Uint8Array.of(1, 0, 0, 0, ...new Uint8Array(144))],
    ["unknown-receiver", Uint8Array.of(4, 0, 0, 0, ...new Uint8Array(40))],
    ["unknown-receiver", Uint8Array.of(3, 0, 0, 0, ...new Uint8Array(60))],
  ])("%s", (reason, datagram) => {
    const { b } = pair();
    expect(b.device.decapsulate(datagram, ATTACKER, 0)).toEqual([{ type: "drop", reason }]);
    expect(b.device.drops.get(reason as never)).toBe(1);
  });
});

describe("transport rules", () => {
  it("roams only on authenticated packets", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 4), 0), 0);
    const sealed = ofType(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 4), 1), "send")[0]!.data;
    const forged = sealed.slice();
    forged[20]! ^= 1;
    expect(ofType(b.device.decapsulate(forged, ATTACKER, 2), "drop")[0]?.reason).toBe("decrypt-failed");
    expect(b.device.peerStats("a").endpoint).toEqual(a.endpoint);
    const moved: Endpoint = { host: "198.51.100.7", port: 40000 };
    const out = b.device.decapsulate(sealed, moved, 2);
    expect(ofType(out, "endpoint-changed")).toEqual([
      { type: "endpoint-changed", peer: "a", endpoint: moved },
    ]);
    expect(ofType(b.device.encapsulate(ipv4Packet("10.0.0.2", "10.0.0.1"), 3), "send")[0]?.endpoint).toEqual(
      moved,
    );
  });

  it("drops inner packets from sources outside the peer's allowed IPs, and bad inner lengths", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 4), 0), 0);
    const spoofed = ofType(
      a.device.encapsulateTo("b", ipv4Packet("10.0.0.77", "10.0.0.2", 4), 1),
      "send",
    )[0]!;
    expect(ofType(b.device.decapsulate(spoofed.data, a.endpoint, 1), "drop")).toEqual([
      { type: "drop", reason: "disallowed-source", peer: "a" },
    ]);
    const lying = ipv4Packet("10.0.0.1", "10.0.0.2", 4);
    lying[3] = 200;
    const s2 = ofType(a.device.encapsulateTo("b", lying, 2), "send")[0]!;
    expect(ofType(b.device.decapsulate(s2.data, a.endpoint, 2), "drop")[0]?.reason).toBe("inner-bad-length");
    const notIp = ofType(a.device.encapsulateTo("b", new Uint8Array(40).fill(0x60), 3), "send")[0]!;
    expect(ofType(b.device.decapsulate(notIp.data, a.endpoint, 3), "drop")[0]?.reason).toBe("inner-not-ipv4");
  });

  it("trims padding by the IPv4 total length and pads the wire to 16 bytes", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 4), 0), 0);
    const p = ipv4Packet("10.0.0.1", "10.0.0.2", 13);
    const sent = ofType(a.device.encapsulate(p, 1), "send")[0]!;
    expect(sent.data.length).toBe(16 + 48 + 16);
    const out = b.device.decapsulate(sent.data, a.endpoint, 1);
    expect(ofType(out, "deliver")).toEqual([{ type: "deliver", peer: "a", packet: p }]);
  });

  it("refuses outbound packets with no route or that are not IPv4", () => {
    const { a } = pair();
    expect(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.9.9.9"), 0)).toEqual([
      { type: "drop", reason: "no-route" },
    ]);
    expect(a.device.encapsulate(new Uint8Array(40).fill(0x60), 0)).toEqual([
      { type: "drop", reason: "inner-not-ipv4" },
    ]);
    expect(a.device.encapsulate(new Uint8Array(3), 0)).toEqual([
      { type: "drop", reason: "inner-bad-length" },
    ]);
    expect(a.device.encapsulateTo("nobody", new Uint8Array(0), 0)).toEqual([
      { type: "drop", reason: "unknown-peer" },
    ]);
  });

  it("hands out buffers it never touches again", () => {
    const { net, a, b } = pair();
    net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 4), 0), 0);
    const s1 = ofType(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 5), 1), "send")[0]!.data;
    const copy1 = s1.slice();
    const s2 = ofType(a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", 7), 2), "send")[0]!.data;
    expect(s1).toEqual(copy1);
    const d1 = ofType(b.device.decapsulate(s1, a.endpoint, 3), "deliver")[0]!.packet;
    const d1copy = d1.slice();
    b.device.decapsulate(s2, a.endpoint, 3);
    expect(d1).toEqual(d1copy);
  });

  it("queues while handshaking, bounded at 1024 with the oldest dropped", () => {
    const { net, a, b } = pair();
    net.filter = () => false;
    for (let i = 0; i < 1030; i++)
      net.run(a, a.device.encapsulate(ipv4Packet("10.0.0.1", "10.0.0.2", i % 200), i), i);
    expect(a.device.drops.get("no-session")).toBe(6);
    net.filter = null;
    for (let t = 1100; t <= 7_000 && b.delivered.length === 0; t += 100) net.tick(t);
    expect(b.delivered).toHaveLength(1024);
    expect(b.delivered[0]!.length).toBe(20 + 6);
  });

  it("validates configuration", () => {
    const { a, b } = pair();
    expect(() => a.device.addPeer({ name: "b", publicKey: b.device.publicKey, allowedIps: [] })).toThrow(
      /already exists/,
    );
    expect(() => a.device.addPeer({ name: "x", publicKey: b.device.publicKey, allowedIps: [] })).toThrow(
      /already used/,
    );
    expect(() => a.device.addPeer({ name: "y", publicKey: new Uint8Array(31), allowedIps: [] })).toThrow(
      /32 bytes/,
    );
    expect(() => a.device.addPeer({ name: "z", publicKey: a.device.publicKey, allowedIps: [] })).toThrow(
      /own key/,
    );
    expect(() => a.device.updatePeer("b", { presharedKey: new Uint8Array(3) })).toThrow(/32 bytes/);
    expect(() => a.device.peerStats("nobody")).toThrow(/unknown peer/);
  });
});
