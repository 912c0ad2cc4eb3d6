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

interface CubicState {
  cwnd: number;
  ssthresh: number;
  wMax: number;
  k: number;
  epochStart: number | undefined;
  wEst: number;
  /** cwnd when ssthresh was last set (cwnd_prior of §4.3). */
  cwndPrior: number;
}

export class CubicController implements CongestionController {
  readonly name = "cubic";
  /** In segments. */
  private s: CubicState;
  private saved: CubicState | undefined;

  constructor(
    private mss: number,
    initialSegments: number,
  ) {
    this.s = {
      cwnd: initialSegments,
      ssthresh: Infinity,
      wMax: 0,
      k: 0,
      epochStart: undefined,
      wEst: 0,
      cwndPrior: 0,
    };
  }

  get window(): number {
    return Math.floor(this.s.cwnd * this.mss);
  }

  get ssthresh(): number {
    return this.s.ssthresh === Infinity ? 0x7fffffff : Math.floor(this.s.ssthresh * this.mss);
  }

  /** For tests and diagnostics: W_max (segments), K (s), and when the current epoch began. */
  get curve(): { wMax: number; k: number; epochStart: number | undefined; wEst: number } {
    return { wMax: this.s.wMax, k: this.s.k, epochStart: this.s.epochStart, wEst: this.s.wEst };
  }

  onAck(acked: number, now: number, srttMs: number | undefined): void {
    const s = this.s;
    const segs = acked / this.mss;
    if (s.cwnd < s.ssthresh) {
      s.cwnd += Math.min(segs, SLOW_START_MAX_SEGMENTS_PER_ACK);
      return;
    }
    if (s.epochStart === undefined) {
      // §4.2: a new congestion-avoidance epoch; the curve's plateau is W_max.
      s.epochStart = now;
      if (s.cwnd < s.wMax) {
        s.k = cubicK(s.wMax, s.cwnd);
      } else {
        s.k = 0;
        s.wMax = s.cwnd;
      }
      s.wEst = s.cwnd;
    }
    const rtt = (srttMs ?? 0) / 1000;
    const t = (now - s.epochStart) / 1000;
    const wCubic = cubicWindow(t, s.k, s.wMax);
    // §4.3: Reno-friendly estimate, α per window of acknowledged segments; α becomes 1 once
    // W_est is back at the window from before the last reduction.
    s.wEst += ((s.wEst >= s.cwndPrior ? 1 : ALPHA_CUBIC) * segs) / s.cwnd;
    if (wCubic < s.wEst) {
      s.cwnd = Math.max(s.cwnd, s.wEst);
      return;
    }
    // §4.4: aim at where the curve will be one RTT from now, at most 1.5x the window.
    const target = Math.min(Math.max(cubicWindow(t + rtt, s.k, s.wMax), s.cwnd), 1.5 * s.cwnd);
    s.cwnd += ((target - s.cwnd) / s.cwnd) * segs;
  }

  onLoss(_now: number, flight: number, newEpisode = true): void {
    const s = this.s;
    if (newEpisode || this.saved === undefined) this.saved = { ...s };
    // §4.7 fast convergence: a loss before regaining the last W_max releases bandwidth.
    s.wMax = s.cwnd < s.wMax ? (s.cwnd * (1 + CUBIC_BETA)) / 2 : s.cwnd;
    s.cwndPrior = s.cwnd;
    // §4.6: ssthresh = flight_size * β (cwnd when nothing is known about the flight), at least
    // two segments. With SACK recovery the sequence space in flight can exceed cwnd, as for Reno.
    s.ssthresh = Math.max(Math.max(flight / this.mss, s.cwnd) * CUBIC_BETA, 2);
    s.cwnd = s.ssthresh;
    s.k = cubicK(s.wMax, s.cwnd);
    s.epochStart = undefined;
    s.wEst = s.cwnd;
  }

  onTimeout(now: number, flight: number, newEpisode = true): void {
    this.onLoss(now, flight, newEpisode);
    // §4.8: after a timeout, slow start from one segment up to the new ssthresh.
    this.s.cwnd = 1;
  }

  undo(): void {
    if (this.saved === undefined) return;
    const cwnd = this.s.cwnd;
    this.s = { ...this.saved, cwnd: Math.max(this.saved.cwnd, cwnd), epochStart: undefined };
    this.saved = undefined;
  }

  setWindow(bytes: number): void {
    this.s.cwnd = Math.max(bytes / this.mss, 1);
  }

  setMss(mss: number): void {
    // Keep the window in bytes across the change; the curve is in segments of the new size.
    const bytes = this.s.cwnd * this.mss;
    this.s.cwnd = Math.max(bytes / mss, 1);
    this.mss = mss;
  }

  capTo(bytes: number): void {
    const segs = bytes / this.mss;
    if (this.s.cwnd > segs) this.s.cwnd = segs;
  }
}
