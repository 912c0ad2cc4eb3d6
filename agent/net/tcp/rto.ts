/**
 * Retransmission timeout estimator (RFC 6298). The caller applies Karn's rule
 * by never sampling a segment that was retransmitted; this only does the
 * arithmetic and the exponential backoff.
 */
export class RtoEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private current: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    initialMs: number,
    /** Clock granularity G of RFC 6298 §2.1; our clock is in milliseconds. */
    private readonly granularityMs = 1,
  ) {
    this.current = Math.min(Math.max(initialMs, minMs), maxMs);
  }

  get rto(): number {
    return this.current;
  }

  get srtt(): number | undefined {
    return this.srttMs;
  }

  get rttvar(): number {
    return this.rttvarMs;
  }

  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srttMs === undefined) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      // Order matters: RTTVAR uses the SRTT from before this sample (RFC 6298 §2.3).
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    const raw = this.srttMs + Math.max(this.granularityMs, 4 * this.rttvarMs);
    this.current = Math.min(Math.max(raw, this.minMs), this.maxMs);
  }

  /** RFC 6298 §5.5: double on each expiry, capped. */
  backoff(): void {
    this.current = Math.min(this.current * 2, this.maxMs);
  }
}
