import { describe, expect, it } from "vitest";
import { ipv4Packet, ofType, pair } from "../../test/wireguard/network.ts";
import type { Endpoint } from "./actions.ts";
import { CookieChecker, CookieGenerator } from "./cookie.ts";
import { createNodeCryptoBackend } from "./crypto/node-crypto.ts";
import { INITIATION_SIZE } from "./messages.ts";

const packet = () => ipv4Packet("10.0.0.1", "10.0.0.2", 10);

describe("cookies under load", () => {
  it("answers an initiation without mac2 with a cookie reply, then accepts the retry carrying mac2", () => {
    const { net, a, b } = pair({ b: { underLoad: () => true } });
    net.run(a, a.device.encapsulate(packet(), 0), 0);
    const bSends = ofType(b.log, "send");
    expect(bSends).toHaveLength(1);
    expect(bSends[0]).toMatchObject({ peer: "", endpoint: a.endpoint });
    expect(bSends[0]!.data[0]).toBe(3);
    expect(bSends[0]!.data).toHaveLength(64);
    expect(b.device.drops.get("under-load-no-cookie")).toBe(1);
    expect(ofType(a.log, "drop")).toEqual([]);
    expect(b.delivered).toHaveLength(0);

    // The retry timer sends the next initiation, which now carries a valid mac2.
    for (let t = 100; t <= 6_000 && b.delivered.length === 0; t += 100) net.tick(t);
    const inits = net.wire.filter((w) => w.data[0] === 1);
    expect(inits).toHaveLength(2);
    expect(inits[0]!.data.subarray(132).every((x) => x === 0)).toBe(true);
    expect(inits[1]!.data.subarray(132).some((x) => x !== 0)).toBe(true);
    expect(b.delivered).toHaveLength(1);
    expect(ofType(b.log, "handshake-complete")).toHaveLength(1);
  });

  it("rate-limits handshakes per source host after a burst of 5, and refills over time", () => {
    const { net, a, b } = pair({ b: { underLoad: () => true } });
    net.run(a, a.device.encapsulate(packet(), 0), 0);
    for (let t = 100; t <= 6_000 && b.delivered.length === 0; t += 100) net.tick(t);
    const withCookie = net.wire.filter((w) => w.data[0] === 1).at(-1)!;
    const reasons: string[] = [];
    for (let i = 0; i < 6; i++) {
      for (const d of ofType(b.device.decapsulate(withCookie.data, a.endpoint, 6_000), "drop"))
        reasons.push(d.reason);
    }
    // The bucket refilled to its burst of 5 since the accepted initiation; each replay costs a token.
    expect(reasons).toEqual([
      "replayed-timestamp",
      "replayed-timestamp",
      "replayed-timestamp",
      "replayed-timestamp",
      "replayed-timestamp",
      "rate-limited",
    ]);
    const later = ofType(b.device.decapsulate(withCookie.data, a.endpoint, 6_200), "drop");
    expect(later.map((d) => d.reason)).toEqual(["replayed-timestamp"]);
    const otherHost: Endpoint = { host: "127.0.0.9", port: 1 };
    const fresh = b.device.decapsulate(withCookie.data, otherHost, 6_000);
    // mac2 is bound to the source address, so another host gets a cookie reply instead.
    expect(ofType(fresh, "send")[0]?.endpoint).toEqual(otherHost);
  });

  it("rejects a cookie reply that does not answer our last message", () => {
    const { net, a, b } = pair({ b: { underLoad: () => true } });
    net.filter = (_f, _t, d) => d[0] !== 3;
    net.run(a, a.device.encapsulate(packet(), 0), 0);
    const reply = ofType(b.log, "send")[0]!.data.slice();
    reply[40]! ^= 1;
    expect(ofType(a.device.decapsulate(reply, b.endpoint, 1), "drop")).toEqual([
      { type: "drop", reason: "cookie-decrypt-failed", peer: "b" },
    ]);
    const unknown = reply.slice();
    unknown[4]! ^= 0xff;
    expect(ofType(a.device.decapsulate(unknown, b.endpoint, 1), "drop")[0]?.reason).toBe("unknown-receiver");
  });
});

describe("CookieChecker / CookieGenerator", () => {
  const crypto = createNodeCryptoBackend();
  const responderKey = crypto.x25519PublicKey(new Uint8Array(32).fill(5));
  let seed = 0;
  const random = (n: number) => new Uint8Array(n).map(() => ++seed & 0xff);
  const src: Endpoint = { host: "192.0.2.1", port: 4000 };

  it("mac1 binds the message to the responder key; mac2 expires with the 2-minute secret", () => {
    const checker = new CookieChecker(crypto, responderKey, random);
    const gen = new CookieGenerator(crypto, responderKey);
    const msg = new Uint8Array(INITIATION_SIZE).fill(7);
    gen.addMacs(msg, 0);
    expect(checker.checkMac1(msg)).toBe(true);
    expect(checker.checkMac2(msg, src, 0)).toBe("missing");
    const reply = checker.createReply(msg, 1234, src, 0);
    expect(gen.consumeReply(reply, 0)).toBe(true);
    expect(gen.consumeReply(reply, 0)).toBe(false); // only the latest message's reply counts, once
    gen.addMacs(msg, 1_000);
    expect(checker.checkMac2(msg, src, 1_000)).toBe("valid");
    expect(checker.checkMac2(msg, { host: "192.0.2.1", port: 4001 }, 1_000)).toBe("invalid");
    expect(checker.checkMac2(msg, src, 121_000)).toBe("invalid");
    msg[10]! ^= 1;
    expect(checker.checkMac1(msg)).toBe(false);
    const other = new CookieChecker(crypto, crypto.x25519PublicKey(new Uint8Array(32).fill(6)), random);
    msg[10]! ^= 1;
    expect(other.checkMac1(msg)).toBe(false);
  });
});
