import { createCipheriv } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { blake2s } from "@noble/hashes/blake2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, toHex } from "../../../test/wireguard/vectors.ts";
import type { CryptoBackend } from "./backend.ts";
import { createNobleBackend } from "./noble.ts";
import { createNodeCryptoBackend } from "./node-crypto.ts";

const backends: CryptoBackend[] = [createNodeCryptoBackend(), createNobleBackend()];
const [nodeBackend, nobleBackend] = backends as [CryptoBackend, CryptoBackend];
const text = new TextEncoder();
const SUNSCREEN = text.encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);

describe.each(backends)("$name backend: RFC spot checks", (c) => {
  it("X25519 matches RFC 7748 section 6.1", () => {
    const alicePriv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const bobPriv = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const alicePub = c.x25519PublicKey(alicePriv);
    const bobPub = c.x25519PublicKey(bobPriv);
    expect(toHex(alicePub)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expect(toHex(bobPub)).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    expect(toHex(c.x25519(alicePriv, bobPub)!)).toBe(shared);
    expect(toHex(c.x25519(bobPriv, alicePub)!)).toBe(shared);
  });

  it("X25519 returns null for low-order points instead of throwing", () => {
    const priv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    expect(c.x25519(priv, new Uint8Array(32))).toBeNull();
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(c.x25519(priv, one)).toBeNull();
  });

  it("BLAKE2s-256('abc') matches RFC 7693 appendix B", () => {
    expect(toHex(c.hash(text.encode("abc")))).toBe(
      "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
    );
    expect(toHex(c.hash(text.encode("a"), text.encode("bc")))).toBe(toHex(c.hash(text.encode("abc"))));
  });

  it("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha A.3.1", () => {
    const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
    const ad = hex("50515253c0c1c2c3c4c5c6c7");
    const sealed = c.xaeadSeal(key, nonce, SUNSCREEN, ad);
    expect(toHex(sealed.subarray(0, 32))).toBe(
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb",
    );
    expect(toHex(sealed.subarray(sealed.length - 16))).toBe("c0875924c1c7987947deafd8780acf49");
    expect(c.xaeadOpen(key, nonce, sealed, ad)).toEqual(SUNSCREEN);
    const bad = sealed.slice();
    bad[3]! ^= 1;
    expect(c.xaeadOpen(key, nonce, bad, ad)).toBeNull();
  });

  it("ChaCha20-Poly1305 uses nonce 0^4 || LE64(counter) and rejects tampering", () => {
    const key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    const counter = 0x0807060504030201n;
    const ad = hex("f33388860000000000004e91");
    const reference = chacha20poly1305(key, hex("000000000102030405060708"), ad).encrypt(SUNSCREEN);
    expect(c.aeadSeal(key, counter, SUNSCREEN, ad)).toEqual(reference);
    expect(c.aeadOpen(key, counter, reference, ad)).toEqual(SUNSCREEN);
    expect(c.aeadOpen(key, counter + 1n, reference, ad)).toBeNull();
    expect(c.aeadOpen(key, counter, reference, new Uint8Array(0))).toBeNull();
    expect(c.aeadOpen(key, counter, reference.subarray(0, 15), ad)).toBeNull();
    const bad = reference.slice();
    bad[bad.length - 1]! ^= 0x80;
    expect(c.aeadOpen(key, counter, bad, ad)).toBeNull();
  });

  it("aeadSeal/aeadOpen write into a caller buffer and accept number counters", () => {
    const key = new Uint8Array(32).fill(7);
    const out = new Uint8Array(64 + 16 + 8);
    const sealed = c.aeadSeal(
      key,
      2 ** 40 + 5,
      new Uint8Array(64).fill(1),
      new Uint8Array(0),
      out.subarray(8),
    );
    expect(sealed.length).toBe(80);
    expect(sealed.buffer).toBe(out.buffer);
    expect(c.aeadSeal(key, 2n ** 40n + 5n, new Uint8Array(64).fill(1), new Uint8Array(0))).toEqual(sealed);
    const plain = new Uint8Array(64);
    expect(c.aeadOpen(key, 2 ** 40 + 5, sealed, new Uint8Array(0), plain)).toEqual(
      new Uint8Array(64).fill(1),
    );
    expect(plain[0]).toBe(1);
  });
});

describe("raw primitives behind the backends", () => {
  it("node:crypto and noble ChaCha20-Poly1305 match RFC 8439 section 2.8.2", () => {
    const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const nonce = hex("070000004041424344454647");
    const ad = hex("50515253c0c1c2c3c4c5c6c7");
    const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    cipher.setAAD(ad, { plaintextLength: SUNSCREEN.length });
    const body = Buffer.concat([cipher.update(SUNSCREEN), cipher.final()]);
    expect(toHex(body.subarray(0, 16))).toBe("d31a8d34648e60db7b86afbc53ef7ec2");
    expect(toHex(cipher.getAuthTag())).toBe("1ae10b594f09e26a7e902ecbd0600691");
    const noble = chacha20poly1305(key, nonce, ad).encrypt(SUNSCREEN);
    expect(toHex(noble)).toBe(toHex(Buffer.concat([body, cipher.getAuthTag()])));
  });

  it("keyed BLAKE2s matches the BLAKE2 reference KAT (key 00..1f, empty input)", () => {
    const key = new Uint8Array(32).map((_, i) => i);
    expect(toHex(blake2s(new Uint8Array(0), { key }))).toBe(
      "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
    );
  });
});

describe("node-crypto and noble agree on random inputs", () => {
  const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

  it("x25519 and public keys", () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(32, 32), (a, b) => {
        const pubB = nobleBackend.x25519PublicKey(b);
        expect(toHex(nodeBackend.x25519PublicKey(a))).toBe(toHex(nobleBackend.x25519PublicKey(a)));
        const x = nodeBackend.x25519(a, pubB);
        const y = nobleBackend.x25519(a, pubB);
        expect(x === null ? null : toHex(x)).toBe(y === null ? null : toHex(y));
      }),
      { numRuns: 40 },
    );
  });

  it("AEAD, hash, hmac, mac", () => {
    fc.assert(
      fc.property(
        bytes(32, 32),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        bytes(0, 300),
        bytes(0, 40),
        (key, counter, data, ad) => {
          const sealed = nodeBackend.aeadSeal(key, counter, data, ad);
          expect(toHex(nobleBackend.aeadSeal(key, counter, data, ad))).toBe(toHex(sealed));
          expect(nobleBackend.aeadOpen(key, counter, sealed, ad)).toEqual(data);
          expect(toHex(nodeBackend.hash(data, ad))).toBe(toHex(nobleBackend.hash(data, ad)));
          expect(toHex(nodeBackend.hmac(key, data))).toBe(toHex(nobleBackend.hmac(key, data)));
          expect(toHex(nodeBackend.hmac(ad, data))).toBe(toHex(nobleBackend.hmac(ad, data)));
          expect(toHex(nodeBackend.mac(key, data))).toBe(toHex(nobleBackend.mac(key, data)));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("node-crypto key cache", () => {
  it("recomputes after a key array is reused with new contents or forgotten", () => {
    const c = createNodeCryptoBackend();
    const priv = new Uint8Array(32).fill(1);
    const peer = nobleBackend.x25519PublicKey(new Uint8Array(32).fill(2));
    const first = toHex(c.x25519(priv, peer)!);
    priv.fill(3);
    expect(toHex(c.x25519(priv, peer)!)).toBe(toHex(nobleBackend.x25519(priv, peer)!));
    expect(toHex(c.x25519(priv, peer)!)).not.toBe(first);
    c.forgetPrivateKey?.(priv);
    expect(toHex(c.x25519PublicKey(priv))).toBe(toHex(nobleBackend.x25519PublicKey(priv)));
  });
});
