/**
 * The sender's record of what the peer has selectively acknowledged (RFC 2018),
 * kept as sorted, merged [start, end) ranges above SND.UNA. Retransmissions
 * use it to resend only the holes instead of everything after the first loss.
 */
import { seqDiff, seqGe, seqGt, seqLe, seqLt } from "./seq.ts";

export class SackScoreboard {
  /** Flat [start0, end0, start1, end1, ...], ascending in sequence space. */
  private readonly r: number[] = [];

  constructor(private readonly maxRanges = 16) {}

  get isEmpty(): boolean {
    return this.r.length === 0;
  }

  get rangeCount(): number {
    return this.r.length / 2;
  }

  get sackedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.r.length; i += 2) n += seqDiff(this.r[i + 1]!, this.r[i]!);
    return n;
  }

  /** End of the highest SACKed range, if any. */
  get highest(): number | undefined {
    return this.r.length === 0 ? undefined : this.r[this.r.length - 1];
  }

  /**
   * Records a SACK block, clamped to (una, max]. Blocks that are empty,
   * inverted or wholly outside that span are ignored: a peer cannot make us
   * skip data it never received by claiming more than we sent.
   */
  add(start: number, end: number, una: number, max: number): void {
    if (seqLt(start, una)) start = una;
    if (seqGt(end, max)) end = max;
    if (!seqLt(start, end)) return;
    const r = this.r;
    let i = 0;
    while (i < r.length && seqLt(r[i + 1]!, start)) i += 2;
    // Merge every range that overlaps or touches [start, end).
    let j = i;
    while (j < r.length && seqLe(r[j]!, end)) {
      if (seqLt(r[j]!, start)) start = r[j]!;
      if (seqGt(r[j + 1]!, end)) end = r[j + 1]!;
      j += 2;
    }
    r.splice(i, j - i, start, end);
    // Forget the highest ranges first: the lowest holes matter most for recovery.
    if (r.length > this.maxRanges * 2) r.length = this.maxRanges * 2;
  }

  /** Drops what the cumulative ACK now covers. */
  advance(una: number): void {
    const r = this.r;
    let k = 0;
    while (k < r.length && seqLe(r[k + 1]!, una)) k += 2;
    if (k > 0) r.splice(0, k);
    if (r.length > 0 && seqLt(r[0]!, una)) r[0] = una;
  }

  clear(): void {
    this.r.length = 0;
  }

  /** If seq lies in a SACKed range, that range's end; otherwise undefined. */
  coveredUntil(seq: number): number | undefined {
    const r = this.r;
    for (let i = 0; i < r.length; i += 2) {
      if (seqLt(seq, r[i]!)) return undefined;
      if (seqLt(seq, r[i + 1]!)) return r[i + 1];
    }
    return undefined;
  }

  /** Start of the first SACKed range beginning after seq, if any. */
  nextStartAfter(seq: number): number | undefined {
    const r = this.r;
    for (let i = 0; i < r.length; i += 2) if (seqGt(r[i]!, seq)) return r[i];
    return undefined;
  }

  /** First un-SACKed sequence number at or after `from` that lies below the highest SACKed byte. */
  nextHole(from: number): number | undefined {
    const r = this.r;
    let seq = from;
    for (let i = 0; i < r.length; i += 2) {
      if (seqLt(seq, r[i]!)) return seq;
      if (seqLt(seq, r[i + 1]!)) seq = r[i + 1]!;
    }
    return undefined;
  }

  /** For tests and diagnostics. */
  toArray(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.r.length; i += 2) out.push([this.r[i]!, this.r[i + 1]!]);
    return out;
  }
}

/** True when [start, end) is a sane block relative to the acknowledgement (RFC 2883 D-SACKs fall below it). */
export function isUsefulSackBlock(start: number, end: number, ack: number): boolean {
  return seqGt(end, start) && seqGe(start, ack);
}
