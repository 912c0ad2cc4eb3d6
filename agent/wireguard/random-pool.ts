import { randomFillSync } from "node:crypto";

const BATCH = 4096;

/**
 * crypto.randomBytes semantics, drawn from the OS CSPRNG in 4 KiB batches:
 * each call into OpenSSL costs ~2 us, and a handshake needs several small
 * draws (ephemeral keys, indices). Every request gets its own copy and its
 * bytes are wiped from the batch at once, so handing out (and later erasing)
 * an ephemeral key leaves no second copy behind.
 */
export function createRandomPool(): (n: number) => Uint8Array {
  const pool = new Uint8Array(BATCH);
  let at = BATCH;
  return (n) => {
    if (n > BATCH) return randomFillSync(new Uint8Array(n));
    if (at + n > BATCH) {
      randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}
