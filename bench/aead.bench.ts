/**
 * ChaCha20-Poly1305 (RFC 8439 AEAD) seal and open, side by side in one
 * process, for 1424-byte (a full WireGuard transport packet's payload) and
 * 64-byte messages with empty AD:
 *   - wasm:        agent/wireguard/crypto/wasm-aead.ts (SIMD ChaCha20, donna-32 Poly1305),
 *                  including the copies into and out of wasm memory;
 *   - node:crypto: createCipheriv/createDecipheriv("chacha20-poly1305") as
 *                  node-crypto.ts uses them for payloads > 256 bytes (the baseline),
 *                  including the copy of the result into the output buffer;
 *   - noble:       @noble/ciphers' chacha20poly1305 (pure JS, the noble backend's AEAD).
 * Rounds alternate between contenders so machine noise hits them alike;
 * medians are reported, and ratios are paired per round. Key and nonce are
 * fixed (no implementation caches anything per key or nonce).
 *
 *   node --import tsx bench/aead.bench.ts
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { wasmOpen, wasmSeal } from "../agent/wireguard/crypto/wasm-aead.ts";
import { interleavedRounds, median, opsPerSecond, pairedRatio } from "./interleaved-rounds.ts";

const SIZES = [1424, 64];
const ROUNDS = 7;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 250);
const AEAD = "chacha20-poly1305";
const OPTIONS = { authTagLength: 16 } as const;

type Impl = "wasm" | "node:crypto" | "noble";
type Op = "seal" | "open";
const IMPLS: Impl[] = ["wasm", "node:crypto", "noble"];
const OPS: Op[] = ["seal", "open"];

const key = new Uint8Array(randomBytes(32));
const nonce = new Uint8Array(randomBytes(12));
const none = new Uint8Array(0);

function nodeSeal(plaintext: Uint8Array, out: Uint8Array): void {
  const c = createCipheriv(AEAD, key, nonce, OPTIONS);
  const body = c.update(plaintext);
  c.final();
  const tag = c.getAuthTag();
  out.set(body, 0);
  out.set(tag, plaintext.length);
}

function nodeOpen(sealed: Uint8Array, out: Uint8Array): boolean {
  const n = sealed.length - 16;
  const d = createDecipheriv(AEAD, key, nonce, OPTIONS);
  d.setAuthTag(sealed.subarray(n));
  const body = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    return false;
  }
  out.set(body);
  return true;
}

function step(impl: Impl, op: Op, size: number): () => void {
  const plaintext = new Uint8Array(randomBytes(size));
  const sealed = new Uint8Array(size + 16);
  nodeSeal(plaintext, sealed);
  const out = new Uint8Array(size + 16);
  const opened = new Uint8Array(size);
  const check = (ok: boolean) => {
    if (!ok) throw new Error(`${impl} ${op} ${size}: wrong result`);
  };
  let run: () => void;
  if (op === "seal") {
    run =
      impl === "wasm"
        ? () => wasmSeal(key, nonce, plaintext, none, out)
        : impl === "node:crypto"
          ? () => nodeSeal(plaintext, out)
          : () => chacha20poly1305(key, nonce).encrypt(plaintext, out);
    run();
    check(Buffer.from(out).equals(Buffer.from(sealed)));
  } else {
    run =
      impl === "wasm"
        ? () => check(wasmOpen(key, nonce, sealed, none, opened))
        : impl === "node:crypto"
          ? () => check(nodeOpen(sealed, opened))
          : () => chacha20poly1305(key, nonce).decrypt(sealed, opened);
    run();
    check(Buffer.from(opened).equals(Buffer.from(plaintext)));
  }
  return run;
}

const name = (impl: Impl, op: Op, size: number) => `${impl} ${op} ${size}`;
const contenders: Record<string, () => void> = {};
for (const size of SIZES)
  for (const op of OPS) for (const impl of IMPLS) contenders[name(impl, op, size)] = step(impl, op, size);

// Warm-up (lets V8 tier the wasm and JS up before anything is measured).
for (const run of Object.values(contenders)) opsPerSecond(run, ROUND_MS / 2);

const samples = interleavedRounds(contenders, ROUNDS, () => ROUND_MS);
const paired = (k: string, base: string) => pairedRatio(samples, k, base);

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(11);
console.log(
  `ChaCha20-Poly1305, empty AD, median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, one core`,
);
console.log("bytes  op    implementation        ops/s     us/op   vs node:crypto   vs noble");
const json: Record<string, unknown> = {};
for (const size of SIZES) {
  for (const op of OPS) {
    for (const impl of IMPLS) {
      const k = name(impl, op, size);
      const ops = median(samples[k]!);
      const vsNode = paired(k, name("node:crypto", op, size));
      const vsNoble = paired(k, name("noble", op, size));
      console.log(
        `${String(size).padStart(5)}  ${op}  ${impl.padEnd(14)} ${fmt(ops)}  ${(1e6 / ops).toFixed(3).padStart(8)}` +
          `   ${vsNode.toFixed(2).padStart(14)}  ${vsNoble.toFixed(2).padStart(9)}`,
      );
      json[`${impl}_${op}_${size}`] = {
        opsPerSecond: Math.round(ops),
        usPerOp: Number((1e6 / ops).toFixed(3)),
        vsNodeCrypto: Number(vsNode.toFixed(3)),
        vsNoble: Number(vsNoble.toFixed(3)),
      };
    }
  }
}
console.log(`BENCH_JSON ${JSON.stringify(json)}`);
