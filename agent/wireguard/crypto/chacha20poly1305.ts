/**
 * ChaCha20-Poly1305 (RFC 8439) in plain JavaScript, used by the node backend
 * only for tiny messages: the handshake seals 0-32 byte payloads, where
 * createCipheriv's setup (~5 us) costs several times the arithmetic. Bulk
 * transport data still goes to OpenSSL. Poly1305 follows poly1305-donna's
 * 16-bit-limb layout (as in @noble/ciphers, which the tests cross-check).
 *
 * Not re-entrant: module-level scratch state, wiped after every call.
 */

const block = new Uint8Array(64);
const words = new Int32Array(16);

const le32 = (a: Uint8Array, i: number) => a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);

/** One ChaCha20 block for (key, counter, nonce) into `block`. */
function chachaBlock(key: Uint8Array, counter: number, nonce: Uint8Array): void {
  const s0 = 0x61707865;
  const s1 = 0x3320646e;
  const s2 = 0x79622d32;
  const s3 = 0x6b206574;
  const s4 = le32(key, 0);
  const s5 = le32(key, 4);
  const s6 = le32(key, 8);
  const s7 = le32(key, 12);
  const s8 = le32(key, 16);
  const s9 = le32(key, 20);
  const s10 = le32(key, 24);
  const s11 = le32(key, 28);
  const s12 = counter | 0;
  const s13 = le32(nonce, 0);
  const s14 = le32(nonce, 4);
  const s15 = le32(nonce, 8);
  let x0 = s0;
  let x1 = s1;
  let x2 = s2;
  let x3 = s3;
  let x4 = s4;
  let x5 = s5;
  let x6 = s6;
  let x7 = s7;
  let x8 = s8;
  let x9 = s9;
  let x10 = s10;
  let x11 = s11;
  let x12 = s12;
  let x13 = s13;
  let x14 = s14;
  let x15 = s15;
  for (let r = 0; r < 10; r++) {
    // Columns: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15)
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);
    // Diagonals: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14)
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  words[0] = x0 + s0;
  words[1] = x1 + s1;
  words[2] = x2 + s2;
  words[3] = x3 + s3;
  words[4] = x4 + s4;
  words[5] = x5 + s5;
  words[6] = x6 + s6;
  words[7] = x7 + s7;
  words[8] = x8 + s8;
  words[9] = x9 + s9;
  words[10] = x10 + s10;
  words[11] = x11 + s11;
  words[12] = x12 + s12;
  words[13] = x13 + s13;
  words[14] = x14 + s14;
  words[15] = x15 + s15;
  for (let i = 0; i < 16; i++) {
    const w = words[i]!;
    block[4 * i] = w;
    block[4 * i + 1] = w >>> 8;
    block[4 * i + 2] = w >>> 16;
    block[4 * i + 3] = w >>> 24;
  }
}

/** out[i] = input[i] ^ keystream, keystream blocks counting from 1 (block 0 keys Poly1305). */
function xorStream(key: Uint8Array, nonce: Uint8Array, input: Uint8Array, out: Uint8Array): void {
  for (let at = 0, counter = 1; at < input.length; at += 64, counter++) {
    chachaBlock(key, counter, nonce);
    const end = Math.min(64, input.length - at);
    for (let i = 0; i < end; i++) out[at + i] = input[at + i]! ^ block[i]!;
  }
}

// ---------------------------------------------------------------- Poly1305

const r = new Uint16Array(10);
const h = new Uint16Array(10);
const padWords = new Uint16Array(8);
const g = new Uint16Array(10);
const tail = new Uint8Array(16);

const u16 = (a: Uint8Array, i: number) => a[i]! | (a[i + 1]! << 8);

/** Poly1305 key = the first 32 bytes of `block` (ChaCha20 block 0). */
function polyStart(): void {
  const t0 = u16(block, 0);
  const t1 = u16(block, 2);
  const t2 = u16(block, 4);
  const t3 = u16(block, 6);
  const t4 = u16(block, 8);
  const t5 = u16(block, 10);
  const t6 = u16(block, 12);
  const t7 = u16(block, 14);
  r[0] = t0 & 0x1fff;
  r[1] = ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
  r[2] = ((t1 >>> 10) | (t2 << 6)) & 0x1f03;
  r[3] = ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
  r[4] = ((t3 >>> 4) | (t4 << 12)) & 0x00ff;
  r[5] = (t4 >>> 1) & 0x1ffe;
  r[6] = ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
  r[7] = ((t5 >>> 11) | (t6 << 5)) & 0x1f81;
  r[8] = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
  r[9] = (t7 >>> 5) & 0x007f;
  for (let i = 0; i < 8; i++) padWords[i] = u16(block, 16 + 2 * i);
  h.fill(0);
}

/** Absorbs one full 16-byte block at data[offset..] (the AEAD pads everything to full blocks). */
function polyBlock(data: Uint8Array, offset: number): void {
  const r0 = r[0]!;
  const r1 = r[1]!;
  const r2 = r[2]!;
  const r3 = r[3]!;
  const r4 = r[4]!;
  const r5 = r[5]!;
  const r6 = r[6]!;
  const r7 = r[7]!;
  const r8 = r[8]!;
  const r9 = r[9]!;
  const t0 = u16(data, offset);
  const t1 = u16(data, offset + 2);
  const t2 = u16(data, offset + 4);
  const t3 = u16(data, offset + 6);
  const t4 = u16(data, offset + 8);
  const t5 = u16(data, offset + 10);
  const t6 = u16(data, offset + 12);
  const t7 = u16(data, offset + 14);
  const h0 = h[0]! + (t0 & 0x1fff);
  const h1 = h[1]! + (((t0 >>> 13) | (t1 << 3)) & 0x1fff);
  const h2 = h[2]! + (((t1 >>> 10) | (t2 << 6)) & 0x1fff);
  const h3 = h[3]! + (((t2 >>> 7) | (t3 << 9)) & 0x1fff);
  const h4 = h[4]! + (((t3 >>> 4) | (t4 << 12)) & 0x1fff);
  const h5 = h[5]! + ((t4 >>> 1) & 0x1fff);
  const h6 = h[6]! + (((t4 >>> 14) | (t5 << 2)) & 0x1fff);
  const h7 = h[7]! + (((t5 >>> 11) | (t6 << 5)) & 0x1fff);
  const h8 = h[8]! + (((t6 >>> 8) | (t7 << 8)) & 0x1fff);
  const h9 = h[9]! + ((t7 >>> 5) | (1 << 11));
  let c = 0;
  let d0 = c + h0 * r0 + h1 * (5 * r9) + h2 * (5 * r8) + h3 * (5 * r7) + h4 * (5 * r6);
  c = d0 >>> 13;
  d0 &= 0x1fff;
  d0 += h5 * (5 * r5) + h6 * (5 * r4) + h7 * (5 * r3) + h8 * (5 * r2) + h9 * (5 * r1);
  c += d0 >>> 13;
  d0 &= 0x1fff;
  let d1 = c + h0 * r1 + h1 * r0 + h2 * (5 * r9) + h3 * (5 * r8) + h4 * (5 * r7);
  c = d1 >>> 13;
  d1 &= 0x1fff;
  d1 += h5 * (5 * r6) + h6 * (5 * r5) + h7 * (5 * r4) + h8 * (5 * r3) + h9 * (5 * r2);
  c += d1 >>> 13;
  d1 &= 0x1fff;
  let d2 = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * (5 * r9) + h4 * (5 * r8);
  c = d2 >>> 13;
  d2 &= 0x1fff;
  d2 += h5 * (5 * r7) + h6 * (5 * r6) + h7 * (5 * r5) + h8 * (5 * r4) + h9 * (5 * r3);
  c += d2 >>> 13;
  d2 &= 0x1fff;
  let d3 = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * (5 * r9);
  c = d3 >>> 13;
  d3 &= 0x1fff;
  d3 += h5 * (5 * r8) + h6 * (5 * r7) + h7 * (5 * r6) + h8 * (5 * r5) + h9 * (5 * r4);
  c += d3 >>> 13;
  d3 &= 0x1fff;
  let d4 = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
  c = d4 >>> 13;
  d4 &= 0x1fff;
  d4 += h5 * (5 * r9) + h6 * (5 * r8) + h7 * (5 * r7) + h8 * (5 * r6) + h9 * (5 * r5);
  c += d4 >>> 13;
  d4 &= 0x1fff;
  let d5 = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1;
  c = d5 >>> 13;
  d5 &= 0x1fff;
  d5 += h5 * r0 + h6 * (5 * r9) + h7 * (5 * r8) + h8 * (5 * r7) + h9 * (5 * r6);
  c += d5 >>> 13;
  d5 &= 0x1fff;
  let d6 = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2;
  c = d6 >>> 13;
  d6 &= 0x1fff;
  d6 += h5 * r1 + h6 * r0 + h7 * (5 * r9) + h8 * (5 * r8) + h9 * (5 * r7);
  c += d6 >>> 13;
  d6 &= 0x1fff;
  let d7 = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3;
  c = d7 >>> 13;
  d7 &= 0x1fff;
  d7 += h5 * r2 + h6 * r1 + h7 * r0 + h8 * (5 * r9) + h9 * (5 * r8);
  c += d7 >>> 13;
  d7 &= 0x1fff;
  let d8 = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4;
  c = d8 >>> 13;
  d8 &= 0x1fff;
  d8 += h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * (5 * r9);
  c += d8 >>> 13;
  d8 &= 0x1fff;
  let d9 = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5;
  c = d9 >>> 13;
  d9 &= 0x1fff;
  d9 += h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
  c += d9 >>> 13;
  d9 &= 0x1fff;
  c = ((c << 2) + c) | 0;
  c = (c + d0) | 0;
  d0 = c & 0x1fff;
  c = c >>> 13;
  d1 += c;
  h[0] = d0;
  h[1] = d1;
  h[2] = d2;
  h[3] = d3;
  h[4] = d4;
  h[5] = d5;
  h[6] = d6;
  h[7] = d7;
  h[8] = d8;
  h[9] = d9;
}

/** Absorbs `data` zero-padded to a multiple of 16 bytes. */
function polyPadded(data: Uint8Array): void {
  const full = data.length & ~15;
  for (let at = 0; at < full; at += 16) polyBlock(data, at);
  if (full === data.length) return;
  tail.fill(0);
  for (let i = full; i < data.length; i++) tail[i - full] = data[i]!;
  polyBlock(tail, 0);
}

/** Final reduction mod 2^130 - 5, plus the pad; writes the 16-byte tag into `tail`. */
function polyFinish(): void {
  let c = h[1]! >>> 13;
  h[1] = h[1]! & 0x1fff;
  for (let i = 2; i < 10; i++) {
    h[i] = h[i]! + c;
    c = h[i]! >>> 13;
    h[i] = h[i]! & 0x1fff;
  }
  h[0] = h[0]! + c * 5;
  c = h[0]! >>> 13;
  h[0] = h[0]! & 0x1fff;
  h[1] = h[1]! + c;
  c = h[1]! >>> 13;
  h[1] = h[1]! & 0x1fff;
  h[2] = h[2]! + c;
  g[0] = h[0]! + 5;
  c = g[0]! >>> 13;
  g[0] = g[0]! & 0x1fff;
  for (let i = 1; i < 10; i++) {
    g[i] = h[i]! + c;
    c = g[i]! >>> 13;
    g[i] = g[i]! & 0x1fff;
  }
  g[9] = g[9]! - (1 << 13);
  let mask = (c ^ 1) - 1;
  for (let i = 0; i < 10; i++) g[i] = g[i]! & mask;
  mask = ~mask;
  for (let i = 0; i < 10; i++) h[i] = (h[i]! & mask) | g[i]!;
  h[0] = (h[0]! | (h[1]! << 13)) & 0xffff;
  h[1] = ((h[1]! >>> 3) | (h[2]! << 10)) & 0xffff;
  h[2] = ((h[2]! >>> 6) | (h[3]! << 7)) & 0xffff;
  h[3] = ((h[3]! >>> 9) | (h[4]! << 4)) & 0xffff;
  h[4] = ((h[4]! >>> 12) | (h[5]! << 1) | (h[6]! << 14)) & 0xffff;
  h[5] = ((h[6]! >>> 2) | (h[7]! << 11)) & 0xffff;
  h[6] = ((h[7]! >>> 5) | (h[8]! << 8)) & 0xffff;
  h[7] = ((h[8]! >>> 8) | (h[9]! << 5)) & 0xffff;
  let f = h[0]! + padWords[0]!;
  h[0] = f & 0xffff;
  for (let i = 1; i < 8; i++) {
    f = (((h[i]! + padWords[i]!) | 0) + (f >>> 16)) | 0;
    h[i] = f & 0xffff;
  }
  for (let i = 0; i < 8; i++) {
    tail[2 * i] = h[i]!;
    tail[2 * i + 1] = h[i]! >>> 8;
  }
}

/** Tag over ad and ciphertext as RFC 8439 section 2.8 lays them out; left in `tail`. */
function tagOf(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): void {
  chachaBlock(key, 0, nonce);
  polyStart();
  polyPadded(ad);
  polyPadded(ciphertext);
  tail.fill(0);
  writeLength(ad.length, 0);
  writeLength(ciphertext.length, 8);
  polyBlock(tail, 0);
  polyFinish();
}

function writeLength(n: number, at: number): void {
  tail[at] = n;
  tail[at + 1] = n >>> 8;
  tail[at + 2] = n >>> 16;
  tail[at + 3] = n >>> 24;
}

function wipe(): void {
  block.fill(0);
  words.fill(0);
  r.fill(0);
  h.fill(0);
  g.fill(0);
  padWords.fill(0);
}

/** Seals into out[0 .. plaintext.length + 16); `out` may alias `plaintext` only at the same offset. */
export function chachaPolySeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
  out: Uint8Array,
): void {
  const n = plaintext.length;
  const ciphertext = out.subarray(0, n);
  xorStream(key, nonce, plaintext, ciphertext);
  tagOf(key, nonce, ad, ciphertext);
  out.set(tail, n);
  tail.fill(0);
  wipe();
}

/**
 * Opens into out[0 .. length - 16); false (and `out` untouched) when the tag
 * does not verify. `out` may alias the ciphertext only at the same offset.
 */
export function chachaPolyOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertextWithTag: Uint8Array,
  ad: Uint8Array,
  out: Uint8Array,
): boolean {
  const n = ciphertextWithTag.length - 16;
  const ciphertext = ciphertextWithTag.subarray(0, n);
  tagOf(key, nonce, ad, ciphertext);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= tail[i]! ^ ciphertextWithTag[n + i]!;
  tail.fill(0);
  if (diff === 0) xorStream(key, nonce, ciphertext, out);
  wipe();
  return diff === 0;
}
