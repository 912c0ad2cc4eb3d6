import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, toHex } from "../test-support/vectors.ts";
import { chachaPolyOpen, chachaPolySeal } from "./chacha20poly1305.ts";

function openssl(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): string {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: plaintext.length });
  return toHex(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

describe("chacha20poly1305.ts", () => {
  it("matches RFC 8439 section 2.8.2", () => {
    const key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const nonce = hex("070000004041424344454647");
    const ad = hex("50515253c0c1c2c3c4c5c6c7");
    const text = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const out = new Uint8Array(text.length + 16);
    chachaPolySeal(key, nonce, text, ad, out);
    expect(toHex(out.subarray(0, 16))).toBe("d31a8d34648e60db7b86afbc53ef7ec2");
    expect(toHex(out.subarray(text.length))).toBe("1ae10b594f09e26a7e902ecbd0600691");
  });

  it("agrees with OpenSSL, round-trips, and rejects any flipped bit", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.nat(),
        (key, nonce, plaintext, ad, flip) => {
          const sealed = new Uint8Array(plaintext.length + 16);
          chachaPolySeal(key, nonce, plaintext, ad, sealed);
          expect(toHex(sealed)).toBe(openssl(key, nonce, plaintext, ad));
          const opened = new Uint8Array(plaintext.length);
          expect(chachaPolyOpen(key, nonce, sealed, ad, opened)).toBe(true);
          expect(toHex(opened)).toBe(toHex(plaintext));
          const bad = sealed.slice();
          bad[flip % bad.length]! ^= 1 << (flip % 8);
          const untouched = new Uint8Array(plaintext.length).fill(0xaa);
          expect(chachaPolyOpen(key, nonce, bad, ad, untouched)).toBe(false);
          expect(untouched.every((x) => x === 0xaa)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("works in place (output aliasing the input at the same offset)", () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(4);
    const buf = new Uint8Array(48 + 16).map((_, i) => i);
    const plain = buf.slice(0, 48);
    chachaPolySeal(key, nonce, buf.subarray(0, 48), new Uint8Array(0), buf);
    expect(toHex(buf)).toBe(openssl(key, nonce, plain, new Uint8Array(0)));
    expect(chachaPolyOpen(key, nonce, buf, new Uint8Array(0), buf)).toBe(true);
    expect(toHex(buf.subarray(0, 48))).toBe(toHex(plain));
  });
});
