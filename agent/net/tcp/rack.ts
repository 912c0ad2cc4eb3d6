/**
 * RACK-TLP's state (RFC 8985): the most recently sent segment known delivered, the RTT it
 * measured, the minimum RTT, and the reordering window that adapts to D-SACKs (§6.2 step 4);
 * its two timers; and the loss episode whose window cut D-SACKs may undo. A connection makes
 * one when it first needs it and drops it when idle (unless the path was seen to reorder), so
 * idle connections do not carry it.
 */
import { seqGe } from "./seq.ts";

/** RFC 8985 §6.2 step 4: a window raised by a D-SACK persists for 16 recoveries. */
const REO_WND_PERSIST = 16;

export class RackState {
  /** The reordering timer: when the next segment in flight would count as lost. */
  reoTimerAt = Number.POSITIVE_INFINITY;
  /** The tail loss probe timer (§7). */
  probeAt = Number.POSITIVE_INFINITY;
  /** A probe is out and unanswered: no second one until an ACK passes this. */
  probeEnd: number | undefined;
  /** SND.UNA when the current loss episode began, while its window cut may still be undone. */
  undoMarker: number | undefined;
  /** Bytes retransmitted in the episode that no D-SACK has yet shown needless. */
  undoRetransBytes = 0;
  undoRetransSent = false;
  /** TSval of the episode's first retransmission (timestamps only): an ACK echoing less shows it needless. */
  undoRetransTsVal: number | undefined;

  /** RACK.xmit_ts, RACK.end_seq, RACK.rtt. */
  xmitTs = Number.NEGATIVE_INFINITY;
  endSeq = 0;
  rttMs = 0;
  minRttMs: number | undefined;
  reorderingSeen = false;
  private reoWndMult = 1;
  /** How much later than the fastest segment a reordered one arrived (ms), as last measured. */
  private reorderExtentMs = 0;
  private reoWndPersist = 0;
  private dsackRound: number | undefined;

  /** Step 2: the latest delivered segment, by transmit time. */
  update(sentAt: number, end: number, now: number): void {
    const rtt = now - sentAt;
    if (this.minRttMs === undefined || rtt < this.minRttMs) this.minRttMs = rtt;
    if (sentAt > this.xmitTs || (sentAt === this.xmitTs && seqGe(end, this.endSeq))) {
      this.xmitTs = sentAt;
      this.endSeq = end;
      this.rttMs = rtt;
    }
  }

  /**
   * Step 4, on a D-SACK: widen the window, at most once per round trip (`sndNxt` marks the
   * round). The RFC adds one min_RTT/4 per D-SACK round; this doubles instead, so a path that
   * reorders by many times its minimum RTT is learnt in a few rounds rather than dozens.
   */
  onDsack(sndUna: number, sndNxt: number): void {
    if (this.dsackRound !== undefined && seqGe(sndUna, this.dsackRound)) this.dsackRound = undefined;
    if (this.dsackRound !== undefined) return;
    this.dsackRound = sndNxt;
    this.reoWndMult = Math.min(this.reoWndMult * 2, 1 << 10);
    this.reoWndPersist = REO_WND_PERSIST;
    this.reorderingSeen = true;
  }

  /**
   * A segment that was never retransmitted arrived after one sent later (RFC 8985 §6.2 step 3).
   * Beyond the RFC, its RTT less the minimum RTT is how late reordering makes a segment: the
   * window is kept at least that wide, so a path that reorders by a fixed delay (several times
   * its minimum RTT) stops causing spurious retransmissions from the first time it is seen,
   * rather than after a D-SACK per round trip.
   */
  onReordering(reorderedRttMs: number): void {
    this.reorderingSeen = true;
    const extent = reorderedRttMs - (this.minRttMs ?? 0);
    if (extent > this.reorderExtentMs) this.reorderExtentMs = extent;
    this.reoWndPersist = REO_WND_PERSIST;
  }

  /** Step 4: leaving a recovery without D-SACKs or reordering lets the window shrink back. */
  onRecoveryEnd(): void {
    if (--this.reoWndPersist <= 0) {
      this.reoWndMult = 1;
      this.reorderExtentMs = 0;
    }
  }

  /** The reordering window (ms), capped at the smoothed RTT. */
  reoWnd(inRecovery: boolean, sackedSegments: number, srttMs: number | undefined): number {
    if (!this.reorderingSeen && (inRecovery || sackedSegments >= 3)) return 0;
    const base = Math.max(((this.minRttMs ?? 0) / 4) * this.reoWndMult, this.reorderExtentMs);
    return srttMs === undefined ? base : Math.min(base, srttMs);
  }
}
