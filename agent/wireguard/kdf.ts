import type { CryptoBackend } from "./crypto/backend.ts";

const ONE = Uint8Array.of(1);

/**
 * WireGuard's KDFn: HKDF with HMAC-BLAKE2s, returning the first n 32-byte
 * outputs. Each output beyond the first chains the previous one, as in RFC 5869.
 * A backend may supply the whole KDF (crypto.kdf) to reuse the PRK's HMAC state.
 */
export function kdf1(crypto: CryptoBackend, key: Uint8Array, input: Uint8Array): Uint8Array {
  if (crypto.kdf !== undefined) return crypto.kdf(key, input, 1)[0]!;
  const prk = crypto.hmac(key, input);
  return crypto.hmac(prk, ONE);
}

export function kdf2(crypto: CryptoBackend, key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  if (crypto.kdf !== undefined) return crypto.kdf(key, input, 2) as [Uint8Array, Uint8Array];
  const prk = crypto.hmac(key, input);
  const t0 = crypto.hmac(prk, ONE);
  return [t0, crypto.hmac(prk, concatByte(t0, 2))];
}

export function kdf3(
  crypto: CryptoBackend,
  key: Uint8Array,
  input: Uint8Array,
): [Uint8Array, Uint8Array, Uint8Array] {
  if (crypto.kdf !== undefined) return crypto.kdf(key, input, 3) as [Uint8Array, Uint8Array, Uint8Array];
  const prk = crypto.hmac(key, input);
  const t0 = crypto.hmac(prk, ONE);
  const t1 = crypto.hmac(prk, concatByte(t0, 2));
  return [t0, t1, crypto.hmac(prk, concatByte(t1, 3))];
}

function concatByte(prefix: Uint8Array, byte: number): Uint8Array {
  const out = new Uint8Array(prefix.length + 1);
  out.set(prefix);
  out[prefix.length] = byte;
  return out;
}
