/**
 * How many cases each fuzz property runs: FUZZ_RUNS from the environment (`npm run fuzz` sets
 * 1,000,000), else a small count so `npm test` runs the same properties quickly.
 */
export function fuzzRuns(fallback = 300): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}

/** Generous per-test timeout for large FUZZ_RUNS: the property's own run count bounds the work. */
export function fuzzTimeoutMs(): number {
  return Math.max(60_000, fuzzRuns() * 2);
}
