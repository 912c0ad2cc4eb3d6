/**
 * The only crypto the WireGuard core uses. Two implementations exist
 * (node:crypto and @noble) and tests cross-check them, so the protocol code
 * never depends on which one runs.
 */
export interface CryptoBackend {
  readonly name: string;
  /**
   * X25519. Returns null when the shared secret is all zeros (a low-order
   * peer key): WireGuard must reject such handshakes rather than derive keys
   * an attacker can predict, and null makes every caller handle it.
   */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * Drops anything the backend derived from this private key (caches of
   * imported keys). Called for ephemerals once a handshake no longer needs
   * them, so forward secrecy does not depend on cache eviction.
   */
  forgetPrivateKey?(privateKey: Uint8Array): void;
  /**
   * ChaCha20-Poly1305 with the 12-byte nonce 0^4 || LE64(counter). Writes
   * ciphertext||tag into `out` (which must hold plaintext.length + 16 bytes)
   * when given, and returns the written view.
   */
  aeadSeal(
    key: Uint8Array,
    counter: bigint | number,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out?: Uint8Array,
  ): Uint8Array;
  /** Returns a fresh plaintext buffer (or a view of `out`), or null when authentication fails. */
  aeadOpen(
    key: Uint8Array,
    counter: bigint | number,
    ciphertextWithTag: Uint8Array,
    ad: Uint8Array,
    out?: Uint8Array,
  ): Uint8Array | null;
  /** BLAKE2s-256 over the concatenation of the parts. */
  hash(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-BLAKE2s (64-byte block, 32-byte output). */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Optional fast path for WireGuard's KDF_n (n = 1..3 outputs); kdf.ts
   * composes it from hmac() when absent. Must return exactly what that would.
   */
  kdf?(key: Uint8Array, input: Uint8Array, n: 1 | 2 | 3): Uint8Array[];
  /** Keyed BLAKE2s with a 16-byte output (WireGuard's MAC). */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305 with a 24-byte nonce, used only for cookie replies. */
  xaeadSeal(key: Uint8Array, nonce24: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  xaeadOpen(
    key: Uint8Array,
    nonce24: Uint8Array,
    ciphertextWithTag: Uint8Array,
    ad: Uint8Array,
  ): Uint8Array | null;
}

/** Writes the ChaCha20-Poly1305 nonce 0^4 || LE64(counter) into a 12-byte buffer. */
export function writeNonce(nonce: Uint8Array, counter: bigint | number): void {
  let lo: number;
  let hi: number;
  if (typeof counter === "number") {
    lo = counter >>> 0;
    hi = Math.floor(counter / 4294967296) >>> 0;
  } else {
    lo = Number(counter & 0xffffffffn);
    hi = Number((counter >> 32n) & 0xffffffffn);
  }
  nonce[0] = 0;
  nonce[1] = 0;
  nonce[2] = 0;
  nonce[3] = 0;
  nonce[4] = lo & 0xff;
  nonce[5] = (lo >>> 8) & 0xff;
  nonce[6] = (lo >>> 16) & 0xff;
  nonce[7] = lo >>> 24;
  nonce[8] = hi & 0xff;
  nonce[9] = (hi >>> 8) & 0xff;
  nonce[10] = (hi >>> 16) & 0xff;
  nonce[11] = hi >>> 24;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}
