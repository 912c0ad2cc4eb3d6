import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { blake2s } from "@noble/hashes/blake2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { type CryptoBackend, isAllZero, writeNonce } from "./backend.ts";

/** Portable backend: pure JavaScript, runs anywhere (Workers, browsers, Node). */
export function createNobleBackend(): CryptoBackend {
  const nonce = new Uint8Array(12);
  return {
    name: "noble",
    x25519(privateKey, publicKey) {
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(privateKey, publicKey);
      } catch {
        // noble refuses low-order points by throwing; the contract is null.
        return null;
      }
      return isAllZero(shared) ? null : shared;
    },
    x25519PublicKey(privateKey) {
      return x25519.getPublicKey(privateKey);
    },
    aeadSeal(key, counter, plaintext, ad, out) {
      writeNonce(nonce, counter);
      const cipher = chacha20poly1305(key, nonce, ad);
      if (out === undefined) return cipher.encrypt(plaintext);
      const dst = out.subarray(0, plaintext.length + 16);
      cipher.encrypt(plaintext, dst);
      return dst;
    },
    aeadOpen(key, counter, ciphertextWithTag, ad, out) {
      if (ciphertextWithTag.length < 16) return null;
      writeNonce(nonce, counter);
      const cipher = chacha20poly1305(key, nonce, ad);
      try {
        if (out === undefined) return cipher.decrypt(ciphertextWithTag);
        const dst = out.subarray(0, ciphertextWithTag.length - 16);
        cipher.decrypt(ciphertextWithTag, dst);
        return dst;
      } catch {
        return null;
      }
    },
    hash(...parts) {
      const h = blake2s.create();
      for (const p of parts) h.update(p);
      return h.digest();
    },
    hmac(key, data) {
      return hmac(blake2s, key, data);
    },
    mac(key, data) {
      return blake2s(data, { key, dkLen: 16 });
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
