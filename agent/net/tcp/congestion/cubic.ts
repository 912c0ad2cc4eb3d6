/**
 * CUBIC (RFC 9438). After a loss the window follows W_cubic(t) = C (t - K)^3 + W_max (§4.2),
 * with K = cbrt(W_max (1 - β) / C) (§4.2 eq. 2), aiming each RTT at W_cubic(t + RTT) clamped
 * to [cwnd, 1.5 cwnd] (§4.4); while the Reno-friendly estimate W_est (§4.3) is larger, it
 * follows that instead. Fast convergence (§4.7) lowers W_max when losses come before reaching
 * it. β = 0.7, C = 0.4. Windows are kept in segments (as the RFC writes them) as floats.
 *
 * Slow start is RFC 5681's with appropriate byte counting, as in Reno; HyStart is not used.
 * Time comes only from the `now` arguments (milliseconds), so tests drive it with a fake clock.
 */
import { type CongestionController, SLOW_START_MAX_SEGMENTS_PER_ACK } from "./controller.ts";

export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** §4.3: makes W_est grow like Reno's window would with the same β. */
const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** W_cubic(t) of RFC 9438 §4.2 (segments, seconds). */
export function cubicWindow(tSeconds: number, k: number, wMax: number): number {
  return CUBIC_C * (tSeconds - k) ** 3 + wMax;
}

/** K of RFC 9438 §4.2: seconds for W_cubic to climb from cwnd back to W_max. */
export function cubicK(wMax: number, cwndAtEpoch: number): number {
  return Math.cbrt(Math.max(wMax - cwndAtEpoch, 0) / CUBIC_C);
}

const NO_THRESHOLD = 0x3fffffff;

interface CubicSnapshot {
  cwnd: number;
  ssthresh: number;
  wMax: number;
  k: number;
  wEst: number;
  cwndPrior: number;
}

export class CubicController implements CongestionController {
  // Plain fields in segments, not a nested state object, and no constants stored per instance:
  // every connection carries one of these.
  private cwnd: number;
  /** ssthresh in segments; NO_THRESHOLD (a small integer, not Infinity, so it is not boxed) until a loss. */
  private thresh = NO_THRESHOLD;
  private wMax = 0;
  private k = 0;
  private epochStart: number | undefined;
  private wEst = 0;
  /** cwnd when ssthresh was last set (cwnd_prior of §4.3). */
  private cwndPrior = 0;
  private saved: CubicSnapshot | undefined;

  constructor(
    private mss: number,
    initialSegments: number,
  ) {
    this.cwnd = initialSegments;
  }

  get name(): "cubic" {
    return "cubic";
  }

  get window(): number {
    return Math.floor(this.cwnd * this.mss);
  }

  get ssthresh(): number {
    return this.thresh === NO_THRESHOLD ? 0x7fffffff : Math.floor(this.thresh * this.mss);
  }

  /** For tests and diagnostics: W_max (segments), K (s), and when the current epoch began. */
  get curve(): { wMax: number; k: number; epochStart: number | undefined; wEst: number } {
    return { wMax: this.wMax, k: this.k, epochStart: this.epochStart, wEst: this.wEst };
  }

  onAck(acked: number, now: number, srttMs: number | undefined): void {
    const segs = acked / this.mss;
    if (this.cwnd < this.thresh) {
      this.cwnd += Math.min(segs, SLOW_START_MAX_SEGMENTS_PER_ACK);
      return;
    }
    if (this.epochStart === undefined) {
      // §4.2: a new congestion-avoidance epoch; the curve's plateau is W_max.
      this.epochStart = now;
      if (this.cwnd < this.wMax) {
        this.k = cubicK(this.wMax, this.cwnd);
      } else {
        this.k = 0;
        this.wMax = this.cwnd;
      }
      this.wEst = this.cwnd;
    }
    const rtt = (srttMs ?? 0) / 1000;
    const t = (now - this.epochStart) / 1000;
    const wCubic = cubicWindow(t, this.k, this.wMax);
    // §4.3: Reno-friendly estimate, α per window of acknowledged segments; α becomes 1 once
    // W_est is back at the window from before the last reduction.
    this.wEst += ((this.wEst >= this.cwndPrior ? 1 : ALPHA_CUBIC) * segs) / this.cwnd;
    if (wCubic < this.wEst) {
      this.cwnd = Math.max(this.cwnd, this.wEst);
      return;
    }
    // §4.4: aim at where the curve will be one RTT from now, at most 1.5x the window.
    const target = Math.min(Math.max(cubicWindow(t + rtt, this.k, this.wMax), this.cwnd), 1.5 * this.cwnd);
    this.cwnd += ((target - this.cwnd) / this.cwnd) * segs;
  }

  onLoss(_now: number, flight: number, newEpisode = true): void {
    if (newEpisode || this.saved === undefined) {
      const { cwnd, thresh: ssthresh, wMax, k, wEst, cwndPrior } = this;
      this.saved = { cwnd, ssthresh, wMax, k, wEst, cwndPrior };
    }
    // §4.7 fast convergence: a loss before regaining the last W_max releases bandwidth.
    this.wMax = this.cwnd < this.wMax ? (this.cwnd * (1 + CUBIC_BETA)) / 2 : this.cwnd;
    this.cwndPrior = this.cwnd;
    // §4.6: ssthresh = flight_size * β (cwnd when nothing is known about the flight), at least
    // two segments. With SACK recovery the sequence space in flight can exceed cwnd, as for Reno.
    this.thresh = Math.max(Math.max(flight / this.mss, this.cwnd) * CUBIC_BETA, 2);
    this.cwnd = this.thresh;
    this.k = cubicK(this.wMax, this.cwnd);
    this.epochStart = undefined;
    this.wEst = this.cwnd;
  }

  onTimeout(now: number, flight: number, newEpisode = true): void {
    this.onLoss(now, flight, newEpisode);
    // §4.8: after a timeout, slow start from one segment up to the new ssthresh.
    this.cwnd = 1;
  }

  undo(): void {
    const s = this.saved;
    if (s === undefined) return;
    this.cwnd = Math.max(s.cwnd, this.cwnd);
    this.thresh = s.ssthresh;
    this.wMax = s.wMax;
    this.k = s.k;
    this.wEst = s.wEst;
    this.cwndPrior = s.cwndPrior;
    this.epochStart = undefined;
    this.saved = undefined;
  }

  setWindow(bytes: number): void {
    this.cwnd = Math.max(bytes / this.mss, 1);
  }

  setMss(mss: number): void {
    // Keep the window in bytes across the change; the curve is in segments of the new size.
    this.cwnd = Math.max((this.cwnd * this.mss) / mss, 1);
    this.mss = mss;
  }

  capTo(bytes: number): void {
    const segs = bytes / this.mss;
    if (this.cwnd > segs) this.cwnd = segs;
  }
}
