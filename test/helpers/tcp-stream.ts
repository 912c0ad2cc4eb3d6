/**
 * A deterministic byte stream for TCP tests: AES-128-CTR keystream keyed by a
 * seed, so a sender and a receiver in different namespaces agree on every
 * byte (and its SHA-256) without shipping the data around.
 */
import { createCipheriv, createHash } from "node:crypto";

export const CHUNK = 64 * 1024;

export function streamChunks(seed: string, bytes: number): () => Buffer | null {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = bytes;
  return () => {
    if (left <= 0) return null;
    const n = Math.min(CHUNK, left);
    left -= n;
    return cipher.update(zeros.subarray(0, n));
  };
}

export function streamSha256(seed: string, bytes: number): string {
  const h = createHash("sha256");
  const next = streamChunks(seed, bytes);
  for (let c = next(); c; c = next()) h.update(c);
  return h.digest("hex");
}
