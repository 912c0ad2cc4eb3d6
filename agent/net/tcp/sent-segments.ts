/**
 * The sender's per-segment record of data in flight, [SND.UNA, SND.MAX): when each range was
 * last (re)transmitted, whether the peer SACKed it, whether it is deemed lost. RACK (RFC 8985)
 * needs the transmit times; RFC 6675's pipe needs the SACKed and lost marks. The ranges are
 * kept contiguous and in sequence order; marks that cover part of a range split it.
 */
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from "./seq.ts";

export interface SentSegment {
  start: number;
  end: number;
  /** Time of the latest (re)transmission. */
  sentAt: number;
  /** Sent more than once. */
  retransmitted: boolean;
  sacked: boolean;
  /** Deemed lost and not retransmitted since. */
  lost: boolean;
}

/** What one ACK newly delivered (cumulatively or by SACK), for RACK's bookkeeping. */
export interface Delivered {
  /** The delivered segment sent last (RACK.xmit_ts / RACK.end_seq), if any. */
  latest: SentSegment | undefined;
  /** Bytes newly SACKed. */
  sackedBytes: number;
  /** A delivered segment was never retransmitted yet lies below one delivered earlier: reordering. */
  reordered: boolean;
  /** The longest RTT among such reordered segments (ms), or 0. */
  reorderedRttMs: number;
}

/**
 * The send time to take an RTT sample from, for the RTO (RFC 6298), given what one ACK newly
 * delivered; or undefined. Karn's rule per segment, as Linux applies it: only a segment sent once
 * times unambiguously, and only one whose arrival the ACK answers. That is the newest one the ACK
 * covers cumulatively (older ones in a coalesced ACK waited at the receiver for it), unless the ACK
 * also covers a retransmission, which may have released it by filling a hole; or one in the ACK's
 * first SACK block, which holds the segment that triggered it (RFC 2018 §4). Later blocks repeat
 * older news that an earlier, lost ACK carried, so a segment first seen there arrived long ago.
 * `triggerSacked`: how many leading entries of `delivered` the first SACK block delivered.
 */
export function karnSampleSentAt(
  delivered: readonly SentSegment[],
  triggerSacked: number,
): number | undefined {
  let newest = Number.NEGATIVE_INFINITY;
  let retransmissionAcked = false;
  let newestAcked = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < delivered.length; i++) {
    const seg = delivered[i]!;
    if (seg.sacked) {
      if (i < triggerSacked && !seg.retransmitted && seg.sentAt > newest) newest = seg.sentAt;
    } else if (seg.retransmitted) retransmissionAcked = true;
    else if (seg.sentAt > newestAcked) newestAcked = seg.sentAt;
  }
  if (!retransmissionAcked && newestAcked > newest) newest = newestAcked;
  return Number.isFinite(newest) ? newest : undefined;
}

export class SentSegments {
  private readonly s: SentSegment[] = [];
  /** Highest end of any delivered segment (RACK.fack). */
  private fack: number | undefined;
  /** How many segments the last detectLosses() marked lost. */
  newlyLost = 0;
  /** Kept up to date by every change, so the sender's per-segment checks cost O(1). */
  private pipeBytes = 0;
  private lostBytesNow = 0;

  private len(seg: SentSegment): number {
    return seqDiff(seg.end, seg.start);
  }

  /** Marks lost, keeping the counters right. */
  private markLost(seg: SentSegment): void {
    if (seg.lost || seg.sacked) return;
    seg.lost = true;
    const n = this.len(seg);
    this.pipeBytes -= n;
    this.lostBytesNow += n;
  }

  get isEmpty(): boolean {
    return this.s.length === 0;
  }

  get length(): number {
    return this.s.length;
  }

  /** The segment sent last (highest sequence), for tail loss probes. */
  get last(): SentSegment | undefined {
    return this.s[this.s.length - 1];
  }

  /** Records new data sent at the top of the sequence space. */
  sent(start: number, end: number, now: number): void {
    if (!seqLt(start, end)) return;
    this.s.push({ start, end, sentAt: now, retransmitted: false, sacked: false, lost: false });
    this.pipeBytes += seqDiff(end, start);
  }

  /** Records a retransmission of [start, end). */
  resent(start: number, end: number, now: number): void {
    this.forRange(start, end, (seg) => {
      seg.sentAt = now;
      seg.retransmitted = true;
      if (seg.lost) {
        seg.lost = false;
        const n = this.len(seg);
        this.lostBytesNow -= n;
        this.pipeBytes += n;
      } else if (seg.sacked) {
        // Resent after a reneging timeout forgot the SACK: in the network again.
        seg.sacked = false;
        this.pipeBytes += this.len(seg);
      }
    });
  }

  /** Forgets what the cumulative ACK covers. Returns the segments it newly delivered. */
  acked(una: number, out: SentSegment[]): void {
    const s = this.s;
    let k = 0;
    while (k < s.length && seqLe(s[k]!.end, una)) {
      const seg = s[k]!;
      this.forget(seg, this.len(seg));
      if (!seg.sacked) out.push(seg);
      k++;
    }
    if (k > 0) s.splice(0, k);
    const first = s[0];
    if (first !== undefined && seqLt(first.start, una)) {
      this.forget(first, seqDiff(una, first.start));
      if (!first.sacked) out.push({ ...first, end: una });
      first.start = una;
    }
  }

  /** `n` bytes of seg leave the record. */
  private forget(seg: SentSegment, n: number): void {
    if (seg.lost) this.lostBytesNow -= n;
    else if (!seg.sacked) this.pipeBytes -= n;
  }

  /** Marks [start, end) SACKed; pushes the segments it newly delivered. Returns the bytes. */
  sackRange(start: number, end: number, out: SentSegment[]): number {
    let bytes = 0;
    this.forRange(start, end, (seg) => {
      if (seg.sacked) return;
      const n = this.len(seg);
      if (seg.lost) this.lostBytesNow -= n;
      else this.pipeBytes -= n;
      seg.sacked = true;
      seg.lost = false;
      bytes += n;
      out.push(seg);
    });
    return bytes;
  }

  /**
   * RACK-TLP's reordering detection over newly delivered segments (RFC 8985 §6.2 step 3),
   * and the latest one by transmit time (step 2).
   */
  deliver(segs: readonly SentSegment[], minRttMs: number | undefined, now: number): Delivered {
    let latest: SentSegment | undefined;
    let reordered = false;
    let reorderedRttMs = 0;
    let sackedBytes = 0;
    for (const seg of segs) {
      if (seg.sacked) sackedBytes += seqDiff(seg.end, seg.start);
      // Step 2: a retransmission ACKed sooner than the minimum RTT was the original's delivery.
      if (seg.retransmitted && minRttMs !== undefined && now - seg.sentAt < minRttMs) continue;
      if (
        latest === undefined ||
        seg.sentAt > latest.sentAt ||
        (seg.sentAt === latest.sentAt && seqGt(seg.end, latest.end))
      )
        latest = seg;
      if (this.fack === undefined || seqGt(seg.end, this.fack)) this.fack = seg.end;
      else if (seqLt(seg.end, this.fack) && !seg.retransmitted) {
        reordered = true;
        reorderedRttMs = Math.max(reorderedRttMs, now - seg.sentAt);
      }
    }
    return { latest, sackedBytes, reordered, reorderedRttMs };
  }

  /**
   * RACK's loss detection (RFC 8985 §6.2 step 5): a segment sent before the latest delivered
   * one and older than RTT + reorder window is lost. Returns the time the next not-yet-lost
   * candidate would expire (for the reordering timer), or Infinity.
   */
  detectLosses(xmitTs: number, endSeq: number, rttMs: number, reoWndMs: number, now: number): number {
    let next = Number.POSITIVE_INFINITY;
    this.newlyLost = 0;
    for (const seg of this.s) {
      // Original transmissions go out in sequence order, and a retransmission only moves a
      // segment later: past a never-resent segment sent after xmitTs, every one was.
      if (!seg.retransmitted && seg.sentAt > xmitTs) break;
      if (seg.sacked || seg.lost) continue;
      const sentBefore = seg.sentAt < xmitTs || (seg.sentAt === xmitTs && seqLt(seg.end, endSeq));
      if (!sentBefore) continue;
      const expiresAt = seg.sentAt + rttMs + reoWndMs;
      if (expiresAt <= now) {
        this.markLost(seg);
        this.newlyLost++;
      } else if (expiresAt < next) next = expiresAt;
    }
    return next;
  }

  /**
   * RFC 8985 §6.3 / RFC 6675 on RTO: everything not SACKed is lost. `forgetSacks`: the peer
   * may have dropped what it SACKed (reneging, RFC 2018 §8), so everything is.
   */
  markAllLost(forgetSacks: boolean): void {
    for (const seg of this.s) {
      if (forgetSacks && seg.sacked) {
        seg.sacked = false;
        this.pipeBytes += this.len(seg);
      }
      this.markLost(seg);
    }
  }

  /** First segment deemed lost and not yet retransmitted, or undefined. */
  firstLost(): SentSegment | undefined {
    if (this.lostBytesNow === 0) return undefined;
    for (const seg of this.s) if (seg.lost) return seg;
    return undefined;
  }

  /** RFC 6675's pipe: bytes thought to be in the network (not SACKed, not lost-and-unresent). */
  pipe(): number {
    return this.pipeBytes;
  }

  /** Bytes deemed lost and not yet resent. */
  lostBytes(): number {
    return this.lostBytesNow;
  }

  /** Splits ranges so none is longer than `mss` (after the path MTU drops). */
  splitTo(mss: number): void {
    const s = this.s;
    for (let i = 0; i < s.length; i++) {
      const seg = s[i]!;
      if (seqDiff(seg.end, seg.start) > mss) {
        const mid = seqAdd(seg.start, mss);
        s.splice(i + 1, 0, { ...seg, start: mid });
        seg.end = mid;
      }
    }
  }

  clear(): void {
    this.s.length = 0;
    this.fack = undefined;
    this.pipeBytes = 0;
    this.lostBytesNow = 0;
  }

  /** Applies fn to every segment inside [start, end), splitting those that straddle an edge. */
  private forRange(start: number, end: number, fn: (seg: SentSegment) => void): void {
    const s = this.s;
    for (let i = 0; i < s.length; i++) {
      const seg = s[i]!;
      if (seqLe(seg.end, start)) continue;
      if (seqGe(seg.start, end)) break;
      if (seqLt(seg.start, start)) {
        s.splice(i + 1, 0, { ...seg, start });
        seg.end = start;
        continue;
      }
      if (seqGt(seg.end, end)) {
        s.splice(i + 1, 0, { ...seg, start: end });
        seg.end = end;
      }
      fn(seg);
    }
  }
}
