import { randomBytes } from "node:crypto";
import { createNodeCryptoBackend } from "./crypto/node-crypto.ts";

const backend = createNodeCryptoBackend();

/** A Curve25519 private key, clamped as `wg genkey` does. */
export function generatePrivateKey(): Uint8Array {
  const k = new Uint8Array(randomBytes(32));
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k;
}

export function publicKeyFrom(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new Error("a WireGuard private key is 32 bytes");
  return backend.x25519PublicKey(privateKey);
}

/** Parses the base64 form used by wg(8) and wg-quick configs; rejects anything that is not exactly 32 bytes. */
export function keyFromBase64(s: string): Uint8Array {
  const trimmed = s.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) throw new Error("a WireGuard key is 44 characters of base64");
  return new Uint8Array(Buffer.from(trimmed, "base64"));
}

export function keyToBase64(key: Uint8Array): string {
  if (key.length !== 32) throw new Error("a WireGuard key is 32 bytes");
  return Buffer.from(key).toString("base64");
}
