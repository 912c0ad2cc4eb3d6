import { spawnSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, toHex } from "../../../test/wireguard/vectors.ts";
import {
  instantiateWasmAead,
  WASM_AEAD_MAX_MESSAGE,
  wasmChaCha20,
  wasmOpen,
  wasmPoly1305,
  wasmSeal,
} from "./wasm-aead.ts";

const wasmDir = fileURLToPath(new URL("./wasm/", import.meta.url));

function openssl(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): string {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: plaintext.length });
  return toHex(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

const seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array) => {
  const out = new Uint8Array(plaintext.length + 16);
  wasmSeal(key, nonce, plaintext, ad, out);
  return out;
};

// RFC 8439 section 2.8.2 (same constants as chacha20poly1305.test.ts).
const KEY_282 = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const NONCE_282 = hex("070000004041424344454647");
const AD_282 = hex("50515253c0c1c2c3c4c5c6c7");
const SUNSCREEN = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const CIPHERTEXT_282 =
  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
  "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
  "3ff4def08e4b7a9de576d26586cec64b6116";
const TAG_282 = "1ae10b594f09e26a7e902ecbd0600691";

const KEY_00_1F = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

describe("wasm-aead.ts", () => {
  it("ships a module identical to what build.sh makes from gen.mjs (when wat2wasm is installed), and it instantiates", () => {
    const instance = instantiateWasmAead();
    for (const name of ["memory", "seal", "open", "chacha20", "poly1305"])
      expect(instance).toHaveProperty(name);
    expect(instance.memory.buffer.byteLength).toBeGreaterThanOrEqual(66624);
    const haveWat2wasm = spawnSync("wat2wasm", ["--version"]).status === 0;
    if (haveWat2wasm) {
      const out = mkdtempSync(join(tmpdir(), "wasm-aead-"));
      try {
        const r = spawnSync("bash", [join(wasmDir, "build.sh"), out], { encoding: "utf8" });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        for (const file of ["chacha20poly1305.wat", "chacha20poly1305.wasm.ts"])
          expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(wasmDir, file), "utf8"));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  });

  it("matches RFC 8439 section 2.8.2 and opens it again", () => {
    const out = seal(KEY_282, NONCE_282, SUNSCREEN, AD_282);
    expect(toHex(out)).toBe(CIPHERTEXT_282 + TAG_282);
    const back = new Uint8Array(SUNSCREEN.length);
    expect(wasmOpen(KEY_282, NONCE_282, out, AD_282, back)).toBe(true);
    expect(toHex(back)).toBe(toHex(SUNSCREEN));
  });

  it("opens RFC 8439 appendix A.5", () => {
    const key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    const nonce = hex("000000000102030405060708");
    const ad = hex("f33388860000000000004e91");
    const ciphertext = hex(
      "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0" +
        "bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
        "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9" +
        "9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
        "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130" +
        "305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b" +
        "eead9d67890cbb22392336fea1851f38",
    );
    const plaintext =
      "Internet-Drafts are draft documents valid for a maximum of six months and may be updated, replaced, " +
      "or obsoleted by other documents at any time. It is inappropriate to use Internet-Drafts as reference " +
      "material or to cite them other than as /\u201cwork in progress./\u201d";
    const out = new Uint8Array(ciphertext.length - 16);
    expect(wasmOpen(key, nonce, ciphertext, ad, out)).toBe(true);
    expect(new TextDecoder().decode(out)).toBe(plaintext);
    expect(toHex(seal(key, nonce, out, ad))).toBe(toHex(ciphertext));
  });

  it("matches the RFC 8439 ChaCha20 block (2.3.2) and encryption (2.4.2) vectors", () => {
    const block = new Uint8Array(64);
    wasmChaCha20(KEY_00_1F, hex("000000090000004a00000000"), 1, new Uint8Array(64), block);
    expect(toHex(block)).toBe(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
    );
    const out = new Uint8Array(SUNSCREEN.length);
    wasmChaCha20(KEY_00_1F, hex("000000000000004a00000000"), 1, SUNSCREEN, out);
    expect(toHex(out)).toBe(
      "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b" +
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8" +
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736" +
        "5af90bbf74a35be6b40b8eedf2785e42874d",
    );
  });

  it("matches the RFC 8439 Poly1305 vector (2.5.2)", () => {
    const key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    const tag = wasmPoly1305(key, new TextEncoder().encode("Cryptographic Forum Research Group"));
    expect(toHex(tag)).toBe("a8061dc1305136c6c22b8baf0c0127a9");
  });

  it("agrees with node:crypto for random keys, nonces, lengths 0..3000 and AD 0..100, and round-trips", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 3000, size: "max" }),
        fc.uint8Array({ maxLength: 100, size: "max" }),
        (key, nonce, plaintext, ad) => {
          const sealed = seal(key, nonce, plaintext, ad);
          expect(toHex(sealed)).toBe(openssl(key, nonce, plaintext, ad));
          const opened = new Uint8Array(plaintext.length);
          expect(wasmOpen(key, nonce, sealed, ad, opened)).toBe(true);
          expect(toHex(opened)).toBe(toHex(plaintext));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("agrees with node:crypto on every length around the 64- and 256-byte boundaries and on large inputs", () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const lengths = [
      ...Array.from({ length: 530 }, (_, i) => i),
      1420,
      1424,
      4095,
      4096,
      65519,
      65534,
      65535,
    ];
    for (const n of lengths) {
      const plaintext = randomBytes(n);
      const ad = randomBytes(n % 37);
      expect(toHex(seal(key, nonce, plaintext, ad)), `length ${n}`).toBe(openssl(key, nonce, plaintext, ad));
    }
    // AD larger than the initial memory holds (the wrapper grows the memory).
    const bigAd = randomBytes(200_000);
    const plaintext = randomBytes(100);
    expect(toHex(seal(key, nonce, plaintext, bigAd))).toBe(openssl(key, nonce, plaintext, bigAd));
  });

  it("rejects every flipped bit in ciphertext, tag and AD, leaving out untouched", () => {
    for (const [n, adLength] of [
      [0, 0],
      [0, 32],
      [45, 0],
      [64, 19],
    ] as const) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const ad = new Uint8Array(randomBytes(adLength));
      const sealed = seal(key, nonce, randomBytes(n), ad);
      const out = new Uint8Array(n).fill(0xaa);
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        sealed[bit >> 3]! ^= 1 << (bit & 7);
        expect(wasmOpen(key, nonce, sealed, ad, out)).toBe(false);
        sealed[bit >> 3]! ^= 1 << (bit & 7);
      }
      for (let bit = 0; bit < ad.length * 8; bit++) {
        ad[bit >> 3]! ^= 1 << (bit & 7);
        expect(wasmOpen(key, nonce, sealed, ad, out)).toBe(false);
        ad[bit >> 3]! ^= 1 << (bit & 7);
      }
      expect(out.every((x) => x === 0xaa)).toBe(true);
      // Wrong key or nonce, too.
      expect(wasmOpen(randomBytes(32), nonce, sealed, ad, out)).toBe(false);
      expect(wasmOpen(key, randomBytes(12), sealed, ad, out)).toBe(false);
      expect(out.every((x) => x === 0xaa)).toBe(true);
      expect(wasmOpen(key, nonce, sealed, ad, out)).toBe(true);
    }
    expect(
      wasmOpen(randomBytes(32), randomBytes(12), new Uint8Array(15), new Uint8Array(0), new Uint8Array(0)),
    ).toBe(false);
  });

  it("works in place (output aliasing the input at the same offset)", () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(4);
    for (const n of [0, 48, 1424]) {
      const buf = new Uint8Array(n + 16).map((_, i) => i);
      const plain = buf.slice(0, n);
      wasmSeal(key, nonce, buf.subarray(0, n), new Uint8Array(0), buf);
      expect(toHex(buf)).toBe(openssl(key, nonce, plain, new Uint8Array(0)));
      expect(wasmOpen(key, nonce, buf, new Uint8Array(0), buf)).toBe(true);
      expect(toHex(buf.subarray(0, n))).toBe(toHex(plain));
    }
  });

  it("accepts subarrays at odd byteOffsets for every argument", () => {
    const backing = new Uint8Array(randomBytes(8192));
    const key = backing.subarray(1, 33);
    const nonce = backing.subarray(35, 47);
    const ad = backing.subarray(51, 83);
    const plaintext = backing.subarray(97, 97 + 1423);
    const out = new Uint8Array(4096).subarray(3, 3 + 1423 + 16);
    wasmSeal(key, nonce, plaintext, ad, out);
    expect(toHex(out)).toBe(openssl(key, nonce, plaintext, ad));
    const back = new Uint8Array(4096).subarray(5, 5 + 1423);
    expect(wasmOpen(key, nonce, out, ad, back)).toBe(true);
    expect(toHex(back)).toBe(toHex(plaintext));
  });

  it("throws RangeError above 65535 bytes of message (and for bad key, nonce or output sizes)", () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    const none = new Uint8Array(0);
    const big = new Uint8Array(WASM_AEAD_MAX_MESSAGE + 1);
    expect(() => wasmSeal(key, nonce, big, none, new Uint8Array(big.length + 16))).toThrow(RangeError);
    expect(() => wasmOpen(key, nonce, new Uint8Array(big.length + 16), none, big)).toThrow(RangeError);
    expect(() => wasmSeal(key, nonce, new Uint8Array(10), none, new Uint8Array(25))).toThrow(RangeError);
    expect(() => wasmSeal(new Uint8Array(16), nonce, none, none, new Uint8Array(16))).toThrow(RangeError);
    expect(() => wasmSeal(key, new Uint8Array(8), none, none, new Uint8Array(16))).toThrow(RangeError);
    expect(() => wasmOpen(key, nonce, new Uint8Array(32), none, new Uint8Array(15))).toThrow(RangeError);
  });

  it("leaves no key material in wasm memory after a call", () => {
    // The module's secret scratch (key, nonce, tags, Poly1305 state, keystream) is [0, 512).
    const wasm = instantiateWasmAead();
    const mem = new Uint8Array(wasm.memory.buffer);
    mem.set(randomBytes(32), 0);
    mem.set(randomBytes(12), 32);
    wasm.seal(0, 1424);
    expect(mem.subarray(0, 512).every((x) => x === 0)).toBe(true);
    mem.set(randomBytes(32), 0);
    mem.set(randomBytes(12), 32);
    expect(wasm.open(0, 1424)).toBe(0);
    expect(mem.subarray(0, 512).every((x) => x === 0)).toBe(true);
  });
});
