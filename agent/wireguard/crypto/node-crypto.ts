import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
} from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { type CryptoBackend, isAllZero, writeNonce } from "./backend.ts";
import { blake2s256, blake2sKeyed, hkdfBlake2s, hmacBlake2s } from "./blake2s.ts";
import { WASM_AEAD_MAX_MESSAGE, wasmOpen, wasmSeal } from "./wasm-aead.ts";

const AEAD = "chacha20-poly1305";
const TAG = 16;
const KEY_CACHE_LIMIT = 512;
/**
 * ChaCha20-Poly1305 runs in WebAssembly (./wasm-aead.ts) up to this many
 * bytes, which covers every WireGuard message: createCipheriv costs ~6 us per
 * 1424-byte packet (a fresh cipher object, update, final and getAuthTag each
 * time), the wasm one ~1.8 us, copies included (`npm run bench -- aead`).
 * Anything larger (never produced by the tunnel) goes to OpenSSL.
 */
const WASM_AEAD_LIMIT = WASM_AEAD_MAX_MESSAGE;
/** Shared by every cipher: node only reads it, and one object per packet is garbage we can skip. */
const AEAD_OPTIONS = { authTagLength: TAG } as const;
// Node's JWK import of an X25519 private key insists on an `x` member but
// derives the public key from `d` itself; any well-formed value will do.
const PLACEHOLDER_X = Buffer.alloc(32, 9).toString("base64url");

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** Plain Uint8Array views over Node Buffers, so both backends return the same type (no copy). */
function asView(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `out` trimmed to `size` (or a fresh array without one); exact-size callers skip making a view. */
function outputView(out: Uint8Array | undefined, size: number): Uint8Array {
  if (out === undefined) return new Uint8Array(size);
  return out.length === size ? out : out.subarray(0, size);
}

interface CachedKey {
  /** Our own copy of the raw key, so a hit is confirmed by content and can be wiped on delete. */
  raw: Uint8Array;
  key: KeyObject;
}

/**
 * OpenSSL's DER decoders cost ~0.5 ms per key, JWK import ~0.04 ms, so keys
 * are imported via JWK and cached by content: statics are used on every
 * handshake and ephemerals two or three times. The map is keyed by a 32-bit
 * fingerprint and a hit is confirmed by comparing all 32 bytes: base64 cache
 * keys cost ~1 us per lookup, and a string holding a private key can never be
 * wiped. (An identity-keyed WeakMap measured slower: ephemeral churn costs
 * more GC than it saves.) A fingerprint collision only costs a re-import.
 */
class KeyCache {
  private readonly map = new Map<number, CachedKey>();

  constructor(private readonly load: (raw: Uint8Array) => KeyObject) {}

  get(raw: Uint8Array): KeyObject {
    const id = fingerprint(raw);
    const hit = this.map.get(id);
    if (hit !== undefined && sameBytes(hit.raw, raw)) return hit.key;
    const key = this.load(raw);
    if (this.map.size >= KEY_CACHE_LIMIT) this.clear();
    hit?.raw.fill(0);
    this.map.set(id, { raw: raw.slice(), key });
    return key;
  }

  delete(raw: Uint8Array): void {
    const id = fingerprint(raw);
    const hit = this.map.get(id);
    if (hit === undefined || !sameBytes(hit.raw, raw)) return;
    hit.raw.fill(0);
    this.map.delete(id);
  }

  private clear(): void {
    for (const entry of this.map.values()) entry.raw.fill(0);
    this.map.clear();
  }
}

function fingerprint(raw: Uint8Array): number {
  return (raw[0]! | (raw[1]! << 8) | (raw[2]! << 16) | (raw[3]! << 24)) ^ (raw[29]! << 16) ^ (raw[30]! << 8);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The fast path on Node: OpenSSL does X25519, WebAssembly ChaCha20-Poly1305
 * (see WASM_AEAD_LIMIT). BLAKE2s
 * (plain, keyed and HMAC) is ./blake2s.ts: handshake inputs are 32-150 bytes,
 * where createHash/createHmac setup costs more than the hashing (measured
 * ~1.7x slower), and OpenSSL 3.0 offers no keyed BLAKE2s through node:crypto.
 * XChaCha20-Poly1305 (cookie replies only) comes from @noble.
 */
export function createNodeCryptoBackend(): CryptoBackend {
  const nonce = Buffer.alloc(12);
  const privateKeys = new KeyCache((raw) =>
    createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64u(raw), x: PLACEHOLDER_X }, format: "jwk" }),
  );
  const publicKeys = new KeyCache((raw) =>
    createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64u(raw) }, format: "jwk" }),
  );
  const loadPrivate = (raw: Uint8Array) => privateKeys.get(raw);
  const loadPublic = (raw: Uint8Array) => publicKeys.get(raw);

  return {
    name: "node-crypto",
    x25519(privateKey, publicKey) {
      if (privateKey.length !== 32 || publicKey.length !== 32)
        throw new RangeError("x25519 keys are 32 bytes");
      let shared: Uint8Array;
      try {
        shared = diffieHellman({ privateKey: loadPrivate(privateKey), publicKey: loadPublic(publicKey) });
      } catch {
        // OpenSSL fails the derivation when the result is all zeros.
        return null;
      }
      return isAllZero(shared) ? null : shared;
    },
    forgetPrivateKey(privateKey) {
      privateKeys.delete(privateKey);
    },
    x25519PublicKey(privateKey) {
      if (privateKey.length !== 32) throw new RangeError("x25519 keys are 32 bytes");
      const jwk = loadPrivate(privateKey).export({ format: "jwk" });
      return new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"));
    },
    aeadSeal(key, counter, plaintext, ad, out) {
      writeNonce(nonce, counter);
      if (plaintext.length <= WASM_AEAD_LIMIT) {
        const dst = outputView(out, plaintext.length + TAG);
        wasmSeal(key, nonce, plaintext, ad, dst);
        return dst;
      }
      const cipher = createCipheriv(AEAD, key, nonce, AEAD_OPTIONS);
      if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
      const body = cipher.update(plaintext);
      cipher.final();
      const tag = cipher.getAuthTag();
      const dst = outputView(out, plaintext.length + TAG);
      dst.set(body, 0);
      dst.set(tag, plaintext.length);
      return dst;
    },
    aeadOpen(key, counter, ciphertextWithTag, ad, out) {
      const n = ciphertextWithTag.length - TAG;
      if (n < 0) return null;
      writeNonce(nonce, counter);
      if (n <= WASM_AEAD_LIMIT) {
        // A fresh buffer when no `out`: the device hands decrypted packets on without copying.
        const dst = outputView(out, n);
        return wasmOpen(key, nonce, ciphertextWithTag, ad, dst) ? dst : null;
      }
      const decipher = createDecipheriv(AEAD, key, nonce, AEAD_OPTIONS);
      if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: n });
      decipher.setAuthTag(ciphertextWithTag.subarray(n));
      const body = decipher.update(ciphertextWithTag.subarray(0, n));
      try {
        decipher.final();
      } catch {
        return null;
      }
      if (out === undefined) return asView(body);
      const dst = outputView(out, n);
      dst.set(body);
      return dst;
    },
    hash(...parts) {
      return blake2s256(parts);
    },
    hmac(key, data) {
      return hmacBlake2s(key, data);
    },
    kdf(key, input, n) {
      return hkdfBlake2s(key, input, n);
    },
    mac(key, data) {
      return blake2sKeyed(key, data, 16);
    },
    xaeadSeal(key, nonce24, plaintext, ad) {
      return xchacha20poly1305(key, nonce24, ad).encrypt(plaintext);
    },
    xaeadOpen(key, nonce24, ciphertextWithTag, ad) {
      try {
        return xchacha20poly1305(key, nonce24, ad).decrypt(ciphertextWithTag);
      } catch {
        return null;
      }
    },
  };
}
