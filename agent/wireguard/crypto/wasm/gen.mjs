#!/usr/bin/env node
/**
 * Generator for chacha20poly1305.wat (RFC 8439 ChaCha20-Poly1305 AEAD in
 * WebAssembly). The ChaCha20 core (4 blocks at once, one block per i32x4
 * lane) and the Poly1305 limb arithmetic are repetitive, so they are emitted
 * from loops here rather than written by hand.
 *
 *   node gen.mjs > chacha20poly1305.wat    (build.sh does this, then wat2wasm)
 *
 * Do not edit chacha20poly1305.wat by hand: edit this file and run build.sh.
 *
 * Memory layout (one exported memory, 2 pages initially; the JS side grows it
 * when associated data does not fit). Everything secret lives in [0, 512) and
 * is zeroed by $wipe at the end of every exported call.
 *     0  KEY    32 bytes  ChaCha20 key (or the one-time Poly1305 key for $poly1305)
 *    32  NONCE  12 bytes  96-bit nonce
 *    48  TAG    16 bytes  computed tag (open)
 *    64  PAD    16 bytes  zero-padded partial block / length block
 *   128  POLY   r0..r4 (i64, 128..168), pad s (16 bytes, 208..224)
 *   256  KS    256 bytes  keystream of 4 ChaCha20 blocks
 *  1024  DATA  65535 + 16 bytes (+ slack) message, ciphertext || tag
 * 66624  AD    associated data, to the end of memory
 */

const KEY = 0;
const NONCE = 32;
const TAG = 48;
const PAD = 64;
const POLY_R = 128;
const POLY_S = 208;
const KS = 256;
const DATA = 1024;
const AD = 66624;
const M26 = "0x3ffffff";

const out = [];
const emit = (s) => out.push(s);

// ---------------------------------------------------------------- ChaCha20 x4

const x = (i) => `$x${i}`;
const get = (v) => `(local.get ${v})`;
const set = (v, e) => emit(`    (local.set ${v} ${e})`);

/** i8x16.shuffle indices rotating every 32-bit lane left by 16 or 8 bits. */
function rotBytes(bits) {
  const k = bits / 8;
  const idx = [];
  for (let lane = 0; lane < 4; lane++) for (let b = 0; b < 4; b++) idx.push(4 * lane + ((b - k + 4) % 4));
  return idx.join(" ");
}

function rotl(v, bits) {
  if (bits % 8 === 0) set(v, `(i8x16.shuffle ${rotBytes(bits)} ${get(v)} ${get(v)})`);
  else
    set(
      v,
      `(v128.or (i32x4.shl ${get(v)} (i32.const ${bits})) (i32x4.shr_u ${get(v)} (i32.const ${32 - bits})))`,
    );
}

function quarter(a, b, c, d) {
  const step = (p, q, r, bits) => {
    set(x(p), `(i32x4.add ${get(x(p))} ${get(x(q))})`);
    set(x(r), `(v128.xor ${get(x(r))} ${get(x(p))})`);
    rotl(x(r), bits);
  };
  step(a, b, d, 16);
  step(c, d, b, 12);
  step(a, b, d, 8);
  step(c, d, b, 7);
}

/** Initial value of state word i, as an expression (counter lanes ctr..ctr+3). */
function initial(i) {
  const sigma = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
  if (i < 4)
    return `(v128.const i32x4 ${Array(4)
      .fill(`0x${sigma[i].toString(16)}`)
      .join(" ")})`;
  if (i < 12) return `(i32x4.splat (i32.load offset=${KEY + 4 * (i - 4)} (i32.const 0)))`;
  if (i === 12) return "(i32x4.add (i32x4.splat (local.get $ctr)) (v128.const i32x4 0 1 2 3))";
  return `(i32x4.splat (i32.load offset=${NONCE + 4 * (i - 13)} (i32.const 0)))`;
}

emit(";; Four ChaCha20 blocks (counters ctr .. ctr+3) into KS[0..256), block j at KS + 64j.");
emit("  (func $chacha4 (param $ctr i32)");
for (let i = 0; i < 16; i++) emit(`    (local ${x(i)} v128)`);
emit("    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)");
emit("    (local $round i32)");
for (let i = 0; i < 16; i++) set(x(i), initial(i));
emit("    (local.set $round (i32.const 10))");
emit("    (loop $rounds");
quarter(0, 4, 8, 12);
quarter(1, 5, 9, 13);
quarter(2, 6, 10, 14);
quarter(3, 7, 11, 15);
quarter(0, 5, 10, 15);
quarter(1, 6, 11, 12);
quarter(2, 7, 8, 13);
quarter(3, 4, 9, 14);
emit("      (br_if $rounds (local.tee $round (i32.sub (local.get $round) (i32.const 1)))))");
for (let i = 0; i < 16; i++) set(x(i), `(i32x4.add ${get(x(i))} ${initial(i)})`);
// Transpose each group of four words (lane j = block j) into block order.
const lo32 = "0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23";
const hi32 = "8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31";
const lo64 = "0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23";
const hi64 = "8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31";
for (let k = 0; k < 4; k++) {
  const [a, b, c, d] = [x(4 * k), x(4 * k + 1), x(4 * k + 2), x(4 * k + 3)];
  set("$t0", `(i8x16.shuffle ${lo32} ${get(a)} ${get(b)})`);
  set("$t1", `(i8x16.shuffle ${hi32} ${get(a)} ${get(b)})`);
  set("$t2", `(i8x16.shuffle ${lo32} ${get(c)} ${get(d)})`);
  set("$t3", `(i8x16.shuffle ${hi32} ${get(c)} ${get(d)})`);
  const store = (j, shuf, p, q) =>
    emit(
      `    (v128.store offset=${KS + 64 * j + 16 * k} (i32.const 0) (i8x16.shuffle ${shuf} ${get(p)} ${get(q)}))`,
    );
  store(0, lo64, "$t0", "$t2");
  store(1, hi64, "$t0", "$t2");
  store(2, lo64, "$t1", "$t3");
  store(3, hi64, "$t1", "$t3");
}
emit("  )");
const chacha = out.splice(0).join("\n");

// ---------------------------------------------------------------- Poly1305 block loop

// poly1305-donna-32: five 26-bit limbs, products in i64.
const r = (i) => `$r${i}`;
const h = (i) => `$h${i}`;
/** r[i] * h[j] term for output limb k, with the 5*r wrap for i + j >= 5. */
function product(k) {
  const terms = [];
  for (let j = 0; j < 5; j++) {
    const i = (k - j + 5) % 5;
    const factor = j <= k ? get(r(i)) : get(`$s${i}`);
    terms.push(`(i64.mul ${get(h(j))} ${factor})`);
  }
  return terms.reduce((acc, t) => `(i64.add ${acc} ${t})`);
}

emit(";; Absorbs n 16-byte blocks at p into the accumulator (POLY), each with 2^128 * hibit added.");
emit("  (func $poly_blocks (param $p i32) (param $n i32) (param $hibit i64)");
emit(`    (local ${[0, 1, 2, 3, 4].map((i) => `${r(i)} i64`).join(") (local ")})`);
emit(`    (local ${[1, 2, 3, 4].map((i) => `$s${i} i64`).join(") (local ")})`);
emit(`    (local ${[0, 1, 2, 3, 4].map((i) => `${h(i)} i64`).join(") (local ")})`);
emit(`    (local ${[0, 1, 2, 3, 4].map((i) => `$d${i} i64`).join(") (local ")})`);
emit("    (local $c i64)");
emit("    (if (i32.eqz (local.get $n)) (then (return)))");
for (let i = 0; i < 5; i++) set(r(i), `(i64.load offset=${POLY_R + 8 * i} (i32.const 0))`);
for (let i = 1; i < 5; i++) set(`$s${i}`, `(i64.mul ${get(r(i))} (i64.const 5))`);
for (let i = 0; i < 5; i++) set(h(i), `(i64.load offset=${POLY_R + 40 + 8 * i} (i32.const 0))`);
emit("    (loop $blocks");
for (let i = 0; i < 5; i++) {
  const word = `(i64.load32_u offset=${3 * i} (local.get $p))`;
  const limb = i === 0 ? word : `(i64.shr_u ${word} (i64.const ${2 * i}))`;
  const bits = i === 4 ? `(i64.or ${limb} (local.get $hibit))` : `(i64.and ${limb} (i64.const ${M26}))`;
  set(h(i), `(i64.add ${get(h(i))} ${bits})`);
}
for (let k = 0; k < 5; k++) set(`$d${k}`, product(k));
for (let k = 0; k < 5; k++) {
  if (k > 0) set(`$d${k}`, `(i64.add (local.get $d${k}) (local.get $c))`);
  set("$c", `(i64.shr_u (local.get $d${k}) (i64.const 26))`);
  set(h(k), `(i64.and (local.get $d${k}) (i64.const ${M26}))`);
}
set(h(0), `(i64.add ${get(h(0))} (i64.mul (local.get $c) (i64.const 5)))`);
set("$c", `(i64.shr_u ${get(h(0))} (i64.const 26))`);
set(h(0), `(i64.and ${get(h(0))} (i64.const ${M26}))`);
set(h(1), `(i64.add ${get(h(1))} (local.get $c))`);
emit("      (local.set $p (i32.add (local.get $p) (i32.const 16)))");
emit("      (br_if $blocks (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))");
for (let i = 0; i < 5; i++) emit(`    (i64.store offset=${POLY_R + 40 + 8 * i} (i32.const 0) ${get(h(i))})`);
emit("  )");
const polyBlocks = out.splice(0).join("\n");

// ---------------------------------------------------------------- module

const wat = `;; GENERATED by gen.mjs (node gen.mjs > chacha20poly1305.wat); do not edit by hand.
;; Rebuild the committed module with ./build.sh (needs wat2wasm from wabt).
;;
;; ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8). ChaCha20 runs four blocks at
;; a time in i32x4 lanes (wasm SIMD); Poly1305 is poly1305-donna-32 (26-bit
;; limbs, i64 products). Memory layout: see gen.mjs. Not re-entrant.
(module
  (memory (export "memory") 2)

  ${chacha}

;; out[0..n) ^= KS[ks..ks+n): 16 bytes at a time, then single bytes.
  (func $xor_ks (param $p i32) (param $ks i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    (block $done16
      (loop $by16
        (br_if $done16 (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p) (v128.xor (v128.load (local.get $p)) (v128.load (local.get $ks))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $ks (i32.add (local.get $ks) (i32.const 16)))
        (br $by16)))
    (local.set $end (i32.add (local.get $end) (i32.and (local.get $n) (i32.const 15))))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p)) (i32.load8_u (local.get $ks))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $ks (i32.add (local.get $ks) (i32.const 1)))
        (br $by1))))

;; XORs n bytes at p with the keystream from block ctr on.
  (func $stream (param $ctr i32) (param $p i32) (param $n i32)
    (local $take i32)
    (block $done
      (loop $batches
        (br_if $done (i32.eqz (local.get $n)))
        (call $chacha4 (local.get $ctr))
        (local.set $take (select (i32.const 256) (local.get $n) (i32.gt_u (local.get $n) (i32.const 256))))
        (call $xor_ks (local.get $p) (i32.const ${KS}) (local.get $take))
        (local.set $p (i32.add (local.get $p) (i32.const 256)))
        (local.set $n (i32.sub (local.get $n) (local.get $take)))
        (local.set $ctr (i32.add (local.get $ctr) (i32.const 4)))
        (br $batches))))

;; Poly1305 key from 32 bytes at k: clamped r (26-bit limbs), s; accumulator zeroed.
  (func $poly_init (param $k i32)
    (i64.store offset=${POLY_R} (i32.const 0) (i64.and (i64.load32_u offset=0 (local.get $k)) (i64.const 0x3ffffff)))
    (i64.store offset=${POLY_R + 8} (i32.const 0) (i64.and (i64.shr_u (i64.load32_u offset=3 (local.get $k)) (i64.const 2)) (i64.const 0x3ffff03)))
    (i64.store offset=${POLY_R + 16} (i32.const 0) (i64.and (i64.shr_u (i64.load32_u offset=6 (local.get $k)) (i64.const 4)) (i64.const 0x3ffc0ff)))
    (i64.store offset=${POLY_R + 24} (i32.const 0) (i64.and (i64.shr_u (i64.load32_u offset=9 (local.get $k)) (i64.const 6)) (i64.const 0x3f03fff)))
    (i64.store offset=${POLY_R + 32} (i32.const 0) (i64.and (i64.shr_u (i64.load32_u offset=12 (local.get $k)) (i64.const 8)) (i64.const 0x00fffff)))
    (memory.fill (i32.const ${POLY_R + 40}) (i32.const 0) (i32.const 40))
    (v128.store offset=${POLY_S} (i32.const 0) (v128.load offset=16 (local.get $k))))

  ${polyBlocks}

;; Absorbs n bytes at p, zero-padded to a multiple of 16 (RFC 8439 section 2.8).
  (func $poly_padded (param $p i32) (param $n i32)
    (local $full i32)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (call $poly_blocks (local.get $p) (i32.shr_u (local.get $n) (i32.const 4)) (i64.const 0x1000000))
    (if (i32.and (local.get $n) (i32.const 15))
      (then
        (v128.store (i32.const ${PAD}) (v128.const i64x2 0 0))
        (memory.copy (i32.const ${PAD}) (i32.add (local.get $p) (local.get $full)) (i32.and (local.get $n) (i32.const 15)))
        (call $poly_blocks (i32.const ${PAD}) (i32.const 1) (i64.const 0x1000000)))))

;; Final reduction mod 2^130 - 5, plus s; the 16-byte tag at dst.
  (func $poly_finish (param $dst i32)
    (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h3 i64) (local $h4 i64)
    (local $g0 i64) (local $g1 i64) (local $g2 i64) (local $g3 i64) (local $g4 i64)
    (local $c i64) (local $keep i64) (local $f i64)
    (local.set $h0 (i64.load offset=${POLY_R + 40} (i32.const 0)))
    (local.set $h1 (i64.load offset=${POLY_R + 48} (i32.const 0)))
    (local.set $h2 (i64.load offset=${POLY_R + 56} (i32.const 0)))
    (local.set $h3 (i64.load offset=${POLY_R + 64} (i32.const 0)))
    (local.set $h4 (i64.load offset=${POLY_R + 72} (i32.const 0)))
    ;; full carry
    (local.set $c (i64.shr_u (local.get $h1) (i64.const 26)))
    (local.set $h1 (i64.and (local.get $h1) (i64.const ${M26})))
    (local.set $h2 (i64.add (local.get $h2) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $h2) (i64.const 26)))
    (local.set $h2 (i64.and (local.get $h2) (i64.const ${M26})))
    (local.set $h3 (i64.add (local.get $h3) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $h3) (i64.const 26)))
    (local.set $h3 (i64.and (local.get $h3) (i64.const ${M26})))
    (local.set $h4 (i64.add (local.get $h4) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $h4) (i64.const 26)))
    (local.set $h4 (i64.and (local.get $h4) (i64.const ${M26})))
    (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5))))
    (local.set $c (i64.shr_u (local.get $h0) (i64.const 26)))
    (local.set $h0 (i64.and (local.get $h0) (i64.const ${M26})))
    (local.set $h1 (i64.add (local.get $h1) (local.get $c)))
    ;; g = h + 5 - 2^130
    (local.set $g0 (i64.add (local.get $h0) (i64.const 5)))
    (local.set $c (i64.shr_u (local.get $g0) (i64.const 26)))
    (local.set $g0 (i64.and (local.get $g0) (i64.const ${M26})))
    (local.set $g1 (i64.add (local.get $h1) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g1) (i64.const 26)))
    (local.set $g1 (i64.and (local.get $g1) (i64.const ${M26})))
    (local.set $g2 (i64.add (local.get $h2) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g2) (i64.const 26)))
    (local.set $g2 (i64.and (local.get $g2) (i64.const ${M26})))
    (local.set $g3 (i64.add (local.get $h3) (local.get $c)))
    (local.set $c (i64.shr_u (local.get $g3) (i64.const 26)))
    (local.set $g3 (i64.and (local.get $g3) (i64.const ${M26})))
    (local.set $g4 (i64.sub (i64.add (local.get $h4) (local.get $c)) (i64.const 0x4000000)))
    ;; keep = all ones when g4 < 0 (h < p: keep h), else 0 (take g); no branch
    (local.set $keep (i64.shr_s (local.get $g4) (i64.const 63)))
    (local.set $h0 (i64.or (i64.and (local.get $h0) (local.get $keep)) (i64.and (local.get $g0) (i64.xor (local.get $keep) (i64.const -1)))))
    (local.set $h1 (i64.or (i64.and (local.get $h1) (local.get $keep)) (i64.and (local.get $g1) (i64.xor (local.get $keep) (i64.const -1)))))
    (local.set $h2 (i64.or (i64.and (local.get $h2) (local.get $keep)) (i64.and (local.get $g2) (i64.xor (local.get $keep) (i64.const -1)))))
    (local.set $h3 (i64.or (i64.and (local.get $h3) (local.get $keep)) (i64.and (local.get $g3) (i64.xor (local.get $keep) (i64.const -1)))))
    (local.set $h4 (i64.or (i64.and (local.get $h4) (local.get $keep)) (i64.and (local.get $g4) (i64.xor (local.get $keep) (i64.const -1)))))
    ;; pack into 4 x 32 bits and add s mod 2^128
    (local.set $h0 (i64.and (i64.or (local.get $h0) (i64.shl (local.get $h1) (i64.const 26))) (i64.const 0xffffffff)))
    (local.set $h1 (i64.and (i64.or (i64.shr_u (local.get $h1) (i64.const 6)) (i64.shl (local.get $h2) (i64.const 20))) (i64.const 0xffffffff)))
    (local.set $h2 (i64.and (i64.or (i64.shr_u (local.get $h2) (i64.const 12)) (i64.shl (local.get $h3) (i64.const 14))) (i64.const 0xffffffff)))
    (local.set $h3 (i64.and (i64.or (i64.shr_u (local.get $h3) (i64.const 18)) (i64.shl (local.get $h4) (i64.const 8))) (i64.const 0xffffffff)))
    (local.set $f (i64.add (local.get $h0) (i64.load32_u offset=${POLY_S} (i32.const 0))))
    (i64.store32 (local.get $dst) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h1) (i64.load32_u offset=${POLY_S + 4} (i32.const 0))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 offset=4 (local.get $dst) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h2) (i64.load32_u offset=${POLY_S + 8} (i32.const 0))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 offset=8 (local.get $dst) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h3) (i64.load32_u offset=${POLY_S + 12} (i32.const 0))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 offset=12 (local.get $dst) (local.get $f)))

;; AEAD tag over AD[0..adLen) and DATA[0..n) (RFC 8439 section 2.8) into dst. KS must hold block 0 on entry.
  (func $aead_tag (param $adLen i32) (param $n i32) (param $dst i32)
    (call $poly_padded (i32.const ${AD}) (local.get $adLen))
    (call $poly_padded (i32.const ${DATA}) (local.get $n))
    (i64.store (i32.const ${PAD}) (i64.extend_i32_u (local.get $adLen)))
    (i64.store offset=8 (i32.const ${PAD}) (i64.extend_i32_u (local.get $n)))
    (call $poly_blocks (i32.const ${PAD}) (i32.const 1) (i64.const 0x1000000))
    (call $poly_finish (local.get $dst)))

;; Encrypts DATA[0..n) in place with the keystream from block 1 on; KS must hold blocks 0-3 on entry.
  (func $crypt (param $n i32)
    (call $xor_ks (i32.const ${DATA}) (i32.const ${KS + 64})
      (select (i32.const 192) (local.get $n) (i32.gt_u (local.get $n) (i32.const 192))))
    (if (i32.gt_u (local.get $n) (i32.const 192))
      (then (call $stream (i32.const 4) (i32.const ${DATA + 192}) (i32.sub (local.get $n) (i32.const 192))))))

;; Zeroes key, nonce, tags, Poly1305 state and keystream.
  (func $wipe
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 512)))

;; seal(adLen, n): DATA[0..n) := ciphertext, DATA[n..n+16) := tag.
  (func (export "seal") (param $adLen i32) (param $n i32)
    (call $chacha4 (i32.const 0))
    (call $poly_init (i32.const ${KS}))
    (call $crypt (local.get $n))
    (call $aead_tag (local.get $adLen) (local.get $n) (i32.add (i32.const ${DATA}) (local.get $n)))
    (call $wipe))

;; open(adLen, n): 1 and DATA[0..n) := plaintext when DATA[n..n+16) is the tag, else 0 and DATA untouched.
  (func (export "open") (param $adLen i32) (param $n i32) (result i32)
    (local $ok i32)
    (call $chacha4 (i32.const 0))
    (call $poly_init (i32.const ${KS}))
    (call $aead_tag (local.get $adLen) (local.get $n) (i32.const ${TAG}))
    ;; constant time: OR of all differences, no early exit
    (local.set $ok (v128.any_true (v128.xor
      (v128.load (i32.const ${TAG}))
      (v128.load (i32.add (i32.const ${DATA}) (local.get $n))))))
    (local.set $ok (i32.eqz (local.get $ok)))
    (if (local.get $ok) (then (call $crypt (local.get $n))))
    (call $wipe)
    (local.get $ok))

;; chacha20(ctr, n): DATA[0..n) ^= ChaCha20 keystream from block ctr (RFC 8439 section 2.4).
  (func (export "chacha20") (param $ctr i32) (param $n i32)
    (call $stream (local.get $ctr) (i32.const ${DATA}) (local.get $n))
    (call $wipe))

;; poly1305(n): DATA[n..n+16) := Poly1305 of DATA[0..n) under the 32-byte key at KEY (RFC 8439 section 2.5).
  (func (export "poly1305") (param $n i32)
    (local $full i32)
    (call $poly_init (i32.const ${KEY}))
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (call $poly_blocks (i32.const ${DATA}) (i32.shr_u (local.get $n) (i32.const 4)) (i64.const 0x1000000))
    (if (i32.and (local.get $n) (i32.const 15))
      (then
        (v128.store (i32.const ${PAD}) (v128.const i64x2 0 0))
        (memory.copy (i32.const ${PAD}) (i32.add (i32.const ${DATA}) (local.get $full)) (i32.and (local.get $n) (i32.const 15)))
        (i32.store8 (i32.add (i32.const ${PAD}) (i32.and (local.get $n) (i32.const 15))) (i32.const 1))
        (call $poly_blocks (i32.const ${PAD}) (i32.const 1) (i64.const 0))))
    (call $poly_finish (i32.add (i32.const ${DATA}) (local.get $n)))
    (call $wipe))
)
`;

process.stdout.write(wat);
