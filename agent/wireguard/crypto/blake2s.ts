/**
 * BLAKE2s (RFC 7693) in plain JavaScript, written for WireGuard's handshake:
 * dozens of hashes/HMACs over 32-100 bytes each. At those sizes a call into
 * OpenSSL costs more in setup than the compression itself, and
 * @noble/hashes allocates per call, so this keeps one reusable state and
 * compresses with local variables only.
 *
 * Not re-entrant by design: each exported function resets the shared state,
 * finishes, and copies the digest out before returning.
 */

const IV0 = 0x6a09e667;
const IV1 = 0xbb67ae85;
const IV2 = 0x3c6ef372;
const IV3 = 0xa54ff53a;
const IV4 = 0x510e527f;
const IV5 = 0x9b05688c;
const IV6 = 0x1f83d9ab;
const IV7 = 0x5be0cd19;

// Message word schedule, 10 rounds x 16 indices.
const SIGMA = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4, 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13, 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11, 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5, 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
]);

const BLOCK = 64;
const h = new Int32Array(8);
const m = new Int32Array(16);
const buf = new Uint8Array(BLOCK);
let bufLen = 0;
/** Bytes compressed so far (BLAKE2s's counter t); a double is exact far past any input here. */
let counted = 0;
let outLen = 32;

/** One compression of the 64 bytes at block[offset..]; `last` sets the final-block flag. */
function compress(block: Uint8Array, offset: number, last: boolean): void {
  for (let i = 0, j = offset; i < 16; i++, j += 4)
    m[i] = block[j]! | (block[j + 1]! << 8) | (block[j + 2]! << 16) | (block[j + 3]! << 24);
  let v0 = h[0]!;
  let v1 = h[1]!;
  let v2 = h[2]!;
  let v3 = h[3]!;
  let v4 = h[4]!;
  let v5 = h[5]!;
  let v6 = h[6]!;
  let v7 = h[7]!;
  let v8 = IV0 | 0;
  let v9 = IV1 | 0;
  let v10 = IV2 | 0;
  let v11 = IV3 | 0;
  let v12 = (IV4 ^ counted) | 0;
  let v13 = (IV5 ^ Math.floor(counted / 4294967296)) | 0;
  let v14 = last ? ~IV6 : IV6 | 0;
  let v15 = IV7 | 0;
  for (let r = 0; r < 160; r += 16) {
    // G(v0, v4, v8, v12), G(v1, v5, v9, v13), G(v2, v6, v10, v14), G(v3, v7, v11, v15)
    v0 = (v0 + v4 + m[SIGMA[r]!]!) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 16) | (v12 << 16);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 12) | (v4 << 20);
    v0 = (v0 + v4 + m[SIGMA[r + 1]!]!) | 0;
    v12 ^= v0;
    v12 = (v12 >>> 8) | (v12 << 24);
    v8 = (v8 + v12) | 0;
    v4 ^= v8;
    v4 = (v4 >>> 7) | (v4 << 25);

    v1 = (v1 + v5 + m[SIGMA[r + 2]!]!) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 16) | (v13 << 16);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 12) | (v5 << 20);
    v1 = (v1 + v5 + m[SIGMA[r + 3]!]!) | 0;
    v13 ^= v1;
    v13 = (v13 >>> 8) | (v13 << 24);
    v9 = (v9 + v13) | 0;
    v5 ^= v9;
    v5 = (v5 >>> 7) | (v5 << 25);

    v2 = (v2 + v6 + m[SIGMA[r + 4]!]!) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 16) | (v14 << 16);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 12) | (v6 << 20);
    v2 = (v2 + v6 + m[SIGMA[r + 5]!]!) | 0;
    v14 ^= v2;
    v14 = (v14 >>> 8) | (v14 << 24);
    v10 = (v10 + v14) | 0;
    v6 ^= v10;
    v6 = (v6 >>> 7) | (v6 << 25);

    v3 = (v3 + v7 + m[SIGMA[r + 6]!]!) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 16) | (v15 << 16);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 12) | (v7 << 20);
    v3 = (v3 + v7 + m[SIGMA[r + 7]!]!) | 0;
    v15 ^= v3;
    v15 = (v15 >>> 8) | (v15 << 24);
    v11 = (v11 + v15) | 0;
    v7 ^= v11;
    v7 = (v7 >>> 7) | (v7 << 25);

    // G(v0, v5, v10, v15), G(v1, v6, v11, v12), G(v2, v7, v8, v13), G(v3, v4, v9, v14)
    v0 = (v0 + v5 + m[SIGMA[r + 8]!]!) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 16) | (v15 << 16);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 12) | (v5 << 20);
    v0 = (v0 + v5 + m[SIGMA[r + 9]!]!) | 0;
    v15 ^= v0;
    v15 = (v15 >>> 8) | (v15 << 24);
    v10 = (v10 + v15) | 0;
    v5 ^= v10;
    v5 = (v5 >>> 7) | (v5 << 25);

    v1 = (v1 + v6 + m[SIGMA[r + 10]!]!) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 16) | (v12 << 16);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 12) | (v6 << 20);
    v1 = (v1 + v6 + m[SIGMA[r + 11]!]!) | 0;
    v12 ^= v1;
    v12 = (v12 >>> 8) | (v12 << 24);
    v11 = (v11 + v12) | 0;
    v6 ^= v11;
    v6 = (v6 >>> 7) | (v6 << 25);

    v2 = (v2 + v7 + m[SIGMA[r + 12]!]!) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 16) | (v13 << 16);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 12) | (v7 << 20);
    v2 = (v2 + v7 + m[SIGMA[r + 13]!]!) | 0;
    v13 ^= v2;
    v13 = (v13 >>> 8) | (v13 << 24);
    v8 = (v8 + v13) | 0;
    v7 ^= v8;
    v7 = (v7 >>> 7) | (v7 << 25);

    v3 = (v3 + v4 + m[SIGMA[r + 14]!]!) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 16) | (v14 << 16);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 12) | (v4 << 20);
    v3 = (v3 + v4 + m[SIGMA[r + 15]!]!) | 0;
    v14 ^= v3;
    v14 = (v14 >>> 8) | (v14 << 24);
    v9 = (v9 + v14) | 0;
    v4 ^= v9;
    v4 = (v4 >>> 7) | (v4 << 25);
  }
  h[0] = h[0]! ^ v0 ^ v8;
  h[1] = h[1]! ^ v1 ^ v9;
  h[2] = h[2]! ^ v2 ^ v10;
  h[3] = h[3]! ^ v3 ^ v11;
  h[4] = h[4]! ^ v4 ^ v12;
  h[5] = h[5]! ^ v5 ^ v13;
  h[6] = h[6]! ^ v6 ^ v14;
  h[7] = h[7]! ^ v7 ^ v15;
}

/** Starts a hash of `length` output bytes; a non-empty key becomes the first (padded) block. */
function start(length: number, key: Uint8Array | null): void {
  const keyLength = key === null ? 0 : key.length;
  h[0] = IV0 ^ 0x01010000 ^ (keyLength << 8) ^ length;
  h[1] = IV1;
  h[2] = IV2;
  h[3] = IV3;
  h[4] = IV4;
  h[5] = IV5;
  h[6] = IV6;
  h[7] = IV7;
  counted = 0;
  bufLen = 0;
  outLen = length;
  if (key !== null && keyLength > 0) {
    buf.fill(0);
    buf.set(key);
    bufLen = BLOCK;
  }
}

function update(data: Uint8Array): void {
  const n = data.length;
  let i = 0;
  while (i < n) {
    // BLAKE2 flags the final block, so a full buffer is only compressed once more input arrives.
    if (bufLen === BLOCK) {
      counted += BLOCK;
      compress(buf, 0, false);
      bufLen = 0;
    }
    if (bufLen === 0 && n - i > BLOCK) {
      counted += BLOCK;
      compress(data, i, false);
      i += BLOCK;
      continue;
    }
    while (i < n && bufLen < BLOCK) buf[bufLen++] = data[i++]!;
  }
}

/** Finishes into out[offset..offset + outLen). */
function finish(out: Uint8Array, offset: number): Uint8Array {
  counted += bufLen;
  buf.fill(0, bufLen);
  compress(buf, 0, true);
  for (let i = 0; i < outLen; i++) out[offset + i] = h[i >>> 2]! >>> (8 * (i & 3));
  return out;
}

/** Unkeyed BLAKE2s-256 over the concatenation of `parts`. */
export function blake2s256(parts: readonly Uint8Array[]): Uint8Array {
  start(32, null);
  for (const p of parts) update(p);
  return finish(new Uint8Array(32), 0);
}

/** Keyed BLAKE2s with an `outputLength`-byte digest (WireGuard's MAC uses 16). */
export function blake2sKeyed(key: Uint8Array, data: Uint8Array, outputLength: number): Uint8Array {
  if (key.length > 32) throw new RangeError("BLAKE2s keys are at most 32 bytes");
  start(outputLength, key);
  update(data);
  return finish(new Uint8Array(outputLength), 0);
}

const pad = new Uint8Array(BLOCK);
const inner = new Uint8Array(32);

function padKey(key: Uint8Array, byte: number): void {
  const n = key.length;
  for (let i = 0; i < n; i++) pad[i] = key[i]! ^ byte;
  pad.fill(byte, n);
}

/** HMAC-BLAKE2s (RFC 2104 with a 64-byte block), as WireGuard's KDF uses it. */
export function hmacBlake2s(key: Uint8Array, data: Uint8Array): Uint8Array {
  let k = key;
  if (k.length > BLOCK) k = blake2s256([k]);
  padKey(k, 0x36);
  start(32, null);
  update(pad);
  update(data);
  finish(inner, 0);
  padKey(k, 0x5c);
  start(32, null);
  update(pad);
  update(inner);
  const out = finish(new Uint8Array(32), 0);
  pad.fill(0);
  inner.fill(0);
  return out;
}

const innerState = new Int32Array(8);
const outerState = new Int32Array(8);
const counterByte = new Uint8Array(1);

/** Compresses the key's pad block as the (non-final) first block and saves the chaining value. */
function startPadded(key: Uint8Array, byte: number, save: Int32Array): void {
  padKey(key, byte);
  start(32, null);
  counted = BLOCK;
  compress(pad, 0, false);
  save.set(h);
}

function resume(saved: Int32Array): void {
  h.set(saved);
  counted = BLOCK;
  bufLen = 0;
  outLen = 32;
}

/**
 * WireGuard's KDF_n (HKDF over HMAC-BLAKE2s): the first `n` 32-byte outputs.
 * Same result as chaining hmacBlake2s, but the PRK's two pad blocks are
 * compressed once rather than once per output.
 */
export function hkdfBlake2s(key: Uint8Array, input: Uint8Array, n: number): Uint8Array[] {
  const prk = hmacBlake2s(key, input);
  startPadded(prk, 0x36, innerState);
  startPadded(prk, 0x5c, outerState);
  prk.fill(0);
  pad.fill(0);
  const outputs: Uint8Array[] = [];
  let previous: Uint8Array | null = null;
  for (let i = 1; i <= n; i++) {
    resume(innerState);
    if (previous !== null) update(previous);
    counterByte[0] = i;
    update(counterByte);
    finish(inner, 0);
    resume(outerState);
    update(inner);
    previous = finish(new Uint8Array(32), 0);
    outputs.push(previous);
  }
  innerState.fill(0);
  outerState.fill(0);
  inner.fill(0);
  h.fill(0);
  return outputs;
}
