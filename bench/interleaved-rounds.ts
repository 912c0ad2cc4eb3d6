/**
 * The measuring loop shared by the in-process micro-benchmarks (wireguard,
 * aead): every contender runs for a fixed time per round, rounds alternate
 * between contenders so machine noise hits them alike, medians are reported,
 * and ratios are taken per round before the median so drift in load cancels.
 */

/** Runs `step` in batches until `ms` elapse; returns operations per second. */
export function opsPerSecond(step: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 64; i++) step();
    n += 64;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** `rounds` rounds over every contender in turn; ops/s samples per contender name. */
export function interleavedRounds(
  contenders: Record<string, () => void>,
  rounds: number,
  msFor: (name: string) => number,
): Record<string, number[]> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(contenders)) samples[name] = [];
  for (let r = 0; r < rounds; r++)
    for (const [name, step] of Object.entries(contenders))
      samples[name]!.push(opsPerSecond(step, msFor(name)));
  return samples;
}

export function median(xs: number[]): number {
  return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
}

/** Median of the per-round ratios name/base (the contenders ran back to back in each round). */
export function pairedRatio(samples: Record<string, number[]>, name: string, base: string): number {
  return median(samples[name]!.map((v, i) => v / samples[base]![i]!));
}
