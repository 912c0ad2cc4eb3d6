/**
 * Out-of-order receive queue. Holds copies of segments that arrived beyond
 * RCV.NXT, kept sorted and non-overlapping so duplicates and overlaps never
 * cost memory twice. Total bytes are bounded by the receive window (the
 * caller trims to it) and the count by a fixed cap.
 */
import { seqAdd, seqDiff, seqGe, seqGt, seqLe } from "./seq.ts";

interface Fragment {
  seq: number;
  data: Uint8Array;
}

export class ReassemblyQueue {
  private readonly frags: Fragment[] = [];
  private held = 0;

  constructor(private maxFragments: number) {}

  /** Raises the fragment cap (the receive window grew, so more may be out of order at once). */
  allowFragments(n: number): void {
    if (n > this.maxFragments) this.maxFragments = n;
  }

  get bytes(): number {
    return this.held;
  }

  get count(): number {
    return this.frags.length;
  }

  get isEmpty(): boolean {
    return this.frags.length === 0;
  }

  /**
   * Stores the parts of [seq, seq+data.length) not already held. The data is
   * copied, so the caller's packet buffer may be reused. Returns false when the
   * fragment cap is reached and the bytes were not kept.
   */
  insert(seq: number, data: Uint8Array): boolean {
    let start = seq;
    let end = seqAdd(seq, data.length);
    let i = 0;
    // Skip fragments that end before this one starts.
    while (i < this.frags.length && seqLe(fragEnd(this.frags[i]!), start)) i++;
    // Trim the front against an overlapping predecessor (which starts at or before us).
    if (i < this.frags.length) {
      const f = this.frags[i]!;
      if (seqLe(f.seq, start)) {
        if (seqGe(fragEnd(f), end)) return true;
        start = fragEnd(f);
        i++;
      }
    }
    // Drop fragments entirely covered by the new range; trim our end at a partial overlap.
    while (i < this.frags.length) {
      const f = this.frags[i]!;
      if (seqGe(f.seq, end)) break;
      if (seqLe(fragEnd(f), end)) {
        this.held -= f.data.length;
        this.frags.splice(i, 1);
        continue;
      }
      end = f.seq;
      break;
    }
    const len = seqDiff(end, start);
    if (len <= 0) return true;
    if (this.frags.length >= this.maxFragments) return false;
    const from = seqDiff(start, seq);
    this.frags.splice(i, 0, { seq: start, data: data.slice(from, from + len) });
    this.held += len;
    return true;
  }

  /**
   * Removes the bytes contiguous with rcvNxt and hands them to deliver in order.
   * Returns the new RCV.NXT.
   */
  drain(rcvNxt: number, deliver: (chunk: Uint8Array) => void): number {
    while (this.frags.length > 0) {
      const f = this.frags[0]!;
      if (seqGt(f.seq, rcvNxt)) break;
      this.frags.shift();
      this.held -= f.data.length;
      const skip = seqDiff(rcvNxt, f.seq);
      if (skip < f.data.length) {
        deliver(skip === 0 ? f.data : f.data.subarray(skip));
        rcvNxt = fragEnd(f);
      }
    }
    return rcvNxt;
  }

  /**
   * Up to `max` held ranges as flat [start, end, ...] for SACK blocks, adjacent
   * fragments merged. The range holding `recent` comes first, as RFC 2018 §4
   * asks, so the sender always learns about the newest arrival.
   */
  sackBlocks(recent: number, max: number): number[] {
    const merged: number[] = [];
    for (const f of this.frags) {
      const end = fragEnd(f);
      const n = merged.length;
      if (n > 0 && merged[n - 1] === f.seq) merged[n - 1] = end;
      else merged.push(f.seq, end);
    }
    const out: number[] = [];
    for (let i = 0; i < merged.length; i += 2) {
      if (seqGe(recent, merged[i]!) && seqGt(merged[i + 1]!, recent)) {
        out.push(merged[i]!, merged[i + 1]!);
        merged.splice(i, 2);
        break;
      }
    }
    for (let i = 0; i < merged.length && out.length < 2 * max; i += 2) out.push(merged[i]!, merged[i + 1]!);
    return out;
  }

  clear(): void {
    this.frags.length = 0;
    this.held = 0;
  }
}

function fragEnd(f: Fragment): number {
  return seqAdd(f.seq, f.data.length);
}
