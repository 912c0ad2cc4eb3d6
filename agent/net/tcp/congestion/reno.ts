/**
 * RFC 5681 congestion control: slow start with appropriate byte counting (RFC 3465), congestion
 * avoidance of one segment per window's worth of acknowledged bytes, ssthresh = flight / 2.
 */
import { type CongestionController, SLOW_START_MAX_SEGMENTS_PER_ACK } from "./controller.ts";

interface Saved {
  cwnd: number;
  ssthresh: number;
}

export class RenoController implements CongestionController {
  get name(): "reno" {
    return "reno";
  }

  private cwnd: number;
  private thresh = 0x7fffffff;
  private ackedInCa = 0;
  private saved: Saved | undefined;

  constructor(
    private mss: number,
    initialSegments: number,
  ) {
    this.cwnd = initialSegments * mss;
  }

  get window(): number {
    return this.cwnd;
  }

  get ssthresh(): number {
    return this.thresh;
  }

  onAck(acked: number): void {
    if (this.cwnd < this.thresh) {
      this.cwnd += Math.min(acked, SLOW_START_MAX_SEGMENTS_PER_ACK * this.mss);
      return;
    }
    this.ackedInCa += acked;
    if (this.ackedInCa >= this.cwnd) {
      this.ackedInCa -= this.cwnd;
      this.cwnd += this.mss;
    }
  }

  onLoss(_now: number, flight: number, newEpisode = true): void {
    if (newEpisode || this.saved === undefined) this.saved = { cwnd: this.cwnd, ssthresh: this.thresh };
    this.thresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.thresh;
    this.ackedInCa = 0;
  }

  onTimeout(now: number, flight: number, newEpisode = true): void {
    this.onLoss(now, flight, newEpisode);
    this.cwnd = this.mss;
  }

  undo(): void {
    if (this.saved === undefined) return;
    // RFC 6675 / Eifel style: back to where we were, never below what we have now.
    this.cwnd = Math.max(this.cwnd, this.saved.cwnd);
    this.thresh = Math.max(this.thresh, this.saved.ssthresh);
    this.saved = undefined;
  }

  setWindow(bytes: number): void {
    this.cwnd = Math.max(bytes, this.mss);
  }

  setMss(mss: number): void {
    this.mss = mss;
  }

  capTo(bytes: number): void {
    if (this.cwnd > bytes) this.cwnd = bytes;
  }
}
