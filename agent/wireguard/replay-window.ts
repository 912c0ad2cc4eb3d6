import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO, REPLAY_WINDOW } from "./constants.ts";

const BLOCK_BITS = 32;
const RING_BLOCKS = 256; // (256 - 1) * 32 = 8160 bits of history >= the 8128 the window needs
const TWO_32 = 4294967296;

/**
 * Sliding anti-replay window in the style of RFC 6479: a ring of bitmap blocks
 * so that advancing the window clears whole blocks instead of shifting bits.
 *
 * Counters are 64-bit on the wire and may exceed 2^53, so they travel as two
 * 32-bit halves. Call only after the packet authenticated: otherwise a forged
 * counter would move the window.
 */
export class ReplayWindow {
  private readonly ring = new Uint32Array(RING_BLOCKS);
  private lastHi = 0;
  private lastLo = 0;
  private empty = true;

  /** True (and records it) when the counter is new, inside the window and below REJECT_AFTER_MESSAGES. */
  accept(hi: number, lo: number): boolean {
    if (hi > REJECT_AFTER_MESSAGES_HI || (hi === REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO))
      return false;
    if (this.empty || hi > this.lastHi || (hi === this.lastHi && lo > this.lastLo)) {
      this.advanceTo(hi, lo);
    } else {
      const behind = (this.lastHi - hi) * TWO_32 + (this.lastLo - lo);
      if (behind > REPLAY_WINDOW) return false;
    }
    const block = (lo >>> 5) % RING_BLOCKS;
    const bit = 1 << (lo & (BLOCK_BITS - 1));
    const old = this.ring[block]!;
    if ((old & bit) !== 0) return false;
    this.ring[block] = old | bit;
    return true;
  }

  private advanceTo(hi: number, lo: number): void {
    const first = this.empty;
    this.empty = false;
    // Distance in blocks, capped at the ring size (anything larger clears all).
    let blocks: number;
    if (first) blocks = RING_BLOCKS;
    else {
      const ahead = (hi - this.lastHi) * TWO_32 + (lo - this.lastLo);
      blocks = Math.min(RING_BLOCKS, Math.floor(((this.lastLo & (BLOCK_BITS - 1)) + ahead) / BLOCK_BITS));
    }
    const current = this.lastLo >>> 5;
    for (let i = 1; i <= blocks; i++) this.ring[(current + i) % RING_BLOCKS] = 0;
    if (first) this.ring[current % RING_BLOCKS] = 0;
    this.lastHi = hi;
    this.lastLo = lo;
  }
}
