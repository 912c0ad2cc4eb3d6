import type { Millis } from "./actions.ts";

interface Bucket {
  tokens: number;
  at: Millis;
}

const SWEEP_INTERVAL = 1_000;

/**
 * Token bucket per source host, consulted only while under load so that one
 * flooding address cannot starve handshakes from everyone else.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: Millis = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  allow(key: string, now: Millis): boolean {
    this.sweep(now);
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      const elapsed = Math.max(0, now - b.at);
      b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.perSecond) / 1000);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forgets sources whose bucket has refilled: they are indistinguishable from new ones. */
  private sweep(now: Millis): void {
    if (now - this.lastSweep < SWEEP_INTERVAL) return;
    this.lastSweep = now;
    const refill = (this.burst * 1000) / this.perSecond;
    for (const [key, b] of this.buckets) if (now - b.at >= refill) this.buckets.delete(key);
  }
}
