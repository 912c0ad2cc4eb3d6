/**
 * ChaCha20-Poly1305 (RFC 8439 AEAD) in WebAssembly: ChaCha20 four blocks at a
 * time in wasm SIMD lanes, Poly1305 as poly1305-donna-32 (26-bit limbs, i64
 * products). Source: wasm/gen.mjs -> wasm/chacha20poly1305.wat; the compiled
 * module is committed as base64 in wasm/chacha20poly1305.wasm.ts (rebuild
 * with wasm/build.sh).
 *
 * The module is compiled and instantiated synchronously when this file is
 * loaded. Every call copies key, nonce, AD and message into fixed regions of
 * the one wasm memory, runs there, and copies the result out, so any aliasing
 * between input and output is fine, as are views at any byteOffset. Key,
 * nonce, keystream and Poly1305 state are zeroed in wasm memory before each
 * call returns (the message region keeps the last plaintext/ciphertext until
 * the next call overwrites it; registers/stack spills of the JIT cannot be
 * wiped from wasm).
 *
 * Not re-entrant: one module-level instance and scratch memory; fine for
 * single-threaded Node (each worker thread loading this gets its own instance).
 */
import { WASM_BASE64 } from "./wasm/chacha20poly1305.wasm.ts";

/** Largest message (plaintext) length accepted; ciphertexts may be this + 16. */
export const WASM_AEAD_MAX_MESSAGE = 65535;

// Memory layout, matching wasm/gen.mjs.
const KEY = 0;
const NONCE = 32;
const DATA = 1024;
const AD = 66624;
const PAGE = 65536;

/** The module's exports (see wasm/gen.mjs for what each does). */
export interface WasmAeadExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  seal(adLength: number, length: number): void;
  open(adLength: number, length: number): number;
  chacha20(counter: number, length: number): void;
  poly1305(length: number): void;
}

/**
 * The slice of the WebAssembly JS API used here. Node has it as a global, but
 * the project's lib (ES2023, no DOM) and @types/node 20 do not declare it.
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A fresh, separate instance of the committed module (synchronous); this file's functions share one. */
export function instantiateWasmAead(): WasmAeadExports {
  return new Instance(new Module(Buffer.from(WASM_BASE64, "base64")), {}).exports as WasmAeadExports;
}

const wasm = instantiateWasmAead();
let mem = new Uint8Array(wasm.memory.buffer);

/** Makes room for `adLength` bytes of associated data at AD (grows the memory; rare). */
function fitAd(adLength: number): void {
  const need = AD + adLength;
  if (need <= mem.length) return;
  wasm.memory.grow(Math.ceil((need - mem.length) / PAGE));
  mem = new Uint8Array(wasm.memory.buffer);
}

function load(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`key must be 32 bytes, got ${key.length}`);
  if (nonce.length !== 12) throw new RangeError(`nonce must be 12 bytes, got ${nonce.length}`);
  if (ad.length > 0) {
    fitAd(ad.length);
    mem.set(ad, AD);
  }
  mem.set(key, KEY);
  mem.set(nonce, NONCE);
}

/**
 * Seals `plaintext` (at most 65535 bytes) into out[0 .. plaintext.length + 16)
 * as ciphertext || tag. `out` may alias `plaintext`.
 */
export function wasmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
  out: Uint8Array,
): void {
  const n = plaintext.length;
  if (n > WASM_AEAD_MAX_MESSAGE) throw new RangeError(`plaintext of ${n} bytes exceeds 65535`);
  if (out.length < n + 16) throw new RangeError(`output of ${out.length} bytes is shorter than ${n + 16}`);
  load(key, nonce, ad);
  mem.set(plaintext, DATA);
  wasm.seal(ad.length, n);
  out.set(mem.subarray(DATA, DATA + n + 16));
}

/**
 * Opens ciphertext || tag into out[0 .. length - 16). The tag is checked in
 * constant time inside wasm before anything is decrypted; on a mismatch (or a
 * input shorter than a tag) returns false and leaves `out` untouched.
 * `out` may alias the input.
 */
export function wasmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertextWithTag: Uint8Array,
  ad: Uint8Array,
  out: Uint8Array,
): boolean {
  const n = ciphertextWithTag.length - 16;
  if (n > WASM_AEAD_MAX_MESSAGE) throw new RangeError(`ciphertext of ${n} bytes exceeds 65535`);
  if (n < 0) return false;
  if (out.length < n) throw new RangeError(`output of ${out.length} bytes is shorter than ${n}`);
  load(key, nonce, ad);
  mem.set(ciphertextWithTag, DATA);
  if (wasm.open(ad.length, n) !== 1) return false;
  out.set(mem.subarray(DATA, DATA + n));
  return true;
}

/** Raw ChaCha20 (RFC 8439 section 2.4): out = input ^ keystream from block `counter`. For tests. */
export function wasmChaCha20(
  key: Uint8Array,
  nonce: Uint8Array,
  counter: number,
  input: Uint8Array,
  out: Uint8Array,
): void {
  const n = input.length;
  if (n > WASM_AEAD_MAX_MESSAGE + 16) throw new RangeError(`input of ${n} bytes is too long`);
  load(key, nonce, new Uint8Array(0));
  mem.set(input, DATA);
  wasm.chacha20(counter >>> 0, n);
  out.set(mem.subarray(DATA, DATA + n));
}

/** Raw Poly1305 (RFC 8439 section 2.5) of `message` under a one-time 32-byte key. For tests. */
export function wasmPoly1305(key: Uint8Array, message: Uint8Array): Uint8Array {
  const n = message.length;
  if (key.length !== 32) throw new RangeError(`key must be 32 bytes, got ${key.length}`);
  if (n > WASM_AEAD_MAX_MESSAGE) throw new RangeError(`message of ${n} bytes is too long`);
  mem.set(key, KEY);
  mem.set(message, DATA);
  wasm.poly1305(n);
  return mem.slice(DATA + n, DATA + n + 16);
}
