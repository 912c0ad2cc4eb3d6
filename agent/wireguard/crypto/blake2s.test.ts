import { createHash, createHmac } from "node:crypto";
import { blake2s } from "@noble/hashes/blake2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../../test/wireguard/vectors.ts";
import { blake2s256, blake2sKeyed, hkdfBlake2s, hmacBlake2s } from "./blake2s.ts";

const text = new TextEncoder();

describe("blake2s.ts", () => {
  it("matches RFC 7693 appendix B and the keyed reference KAT", () => {
    expect(toHex(blake2s256([text.encode("abc")]))).toBe(
      "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
    );
    const key = new Uint8Array(32).map((_, i) => i);
    expect(toHex(blake2sKeyed(key, new Uint8Array(0), 32))).toBe(
      "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
    );
  });

  it("agrees with OpenSSL and @noble on random inputs, across block boundaries", () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max });
    fc.assert(
      fc.property(
        bytes(300),
        bytes(200),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        bytes(150),
        (a, b, k, hk) => {
          expect(toHex(blake2s256([a, b]))).toBe(createHash("blake2s256").update(a).update(b).digest("hex"));
          expect(toHex(blake2sKeyed(k, a, 16))).toBe(toHex(blake2s(a, { key: k, dkLen: 16 })));
          expect(toHex(blake2sKeyed(k, a, 32))).toBe(toHex(blake2s(a, { key: k })));
          expect(toHex(hmacBlake2s(hk, a))).toBe(createHmac("blake2s256", hk).update(a).digest("hex"));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("exact multiples of the 64-byte block", () => {
    for (const n of [0, 63, 64, 65, 128, 192]) {
      const data = new Uint8Array(n).map((_, i) => i * 7);
      expect(toHex(blake2s256([data]))).toBe(createHash("blake2s256").update(data).digest("hex"));
      expect(toHex(blake2s256([data.subarray(0, n >> 1), data.subarray(n >> 1)]))).toBe(
        toHex(blake2s256([data])),
      );
    }
  });

  it("returns fresh arrays (the shared state never leaks out)", () => {
    const x = blake2s256([text.encode("x")]);
    const y = blake2s256([text.encode("y")]);
    expect(x).not.toEqual(y);
    expect(toHex(x)).toBe(toHex(blake2s256([text.encode("x")])));
  });

  it("rejects keys longer than 32 bytes", () => {
    expect(() => blake2sKeyed(new Uint8Array(33), new Uint8Array(0), 16)).toThrow(RangeError);
  });
});

describe("hkdfBlake2s", () => {
  it("equals HKDF composed from hmacBlake2s for 1-3 outputs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 100 }), (key, input) => {
        const prk = hmacBlake2s(key, input);
        const t1 = hmacBlake2s(prk, Uint8Array.of(1));
        const t2 = hmacBlake2s(prk, Uint8Array.of(...t1, 2));
        const t3 = hmacBlake2s(prk, Uint8Array.of(...t2, 3));
        expect(hkdfBlake2s(key, input, 1).map(toHex)).toEqual([toHex(t1)]);
        expect(hkdfBlake2s(key, input, 3).map(toHex)).toEqual([t1, t2, t3].map(toHex));
      }),
      { numRuns: 100 },
    );
  });
});
