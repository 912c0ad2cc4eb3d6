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
  /** Allocated on first use: many keypairs (rotated out, or never used to receive) never need it. */
  private ring: Uint32Array | null = null;
  private lastHi = 0;
  private lastLo = 0;

  /** True (and records it) when the counter is new, inside the window and below REJECT_AFTER_MESSAGES. */
  accept(hi: number, lo: number): boolean {
    if (hi > REJECT_AFTER_MESSAGES_HI || (hi === REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO))
      return false;
    let ring = this.ring;
    if (ring === null) {
      ring = this.ring = new Uint32Array(RING_BLOCKS);
      this.lastHi = hi;
      this.lastLo = lo;
    } else if (hi > this.lastHi || (hi === this.lastHi && lo > this.lastLo)) {
      this.advanceTo(ring, hi, lo);
    } else {
      const behind = (this.lastHi - hi) * TWO_32 + (this.lastLo - lo);
      if (behind > REPLAY_WINDOW) return false;
    }
    const block = (lo >>> 5) % RING_BLOCKS;
    const bit = 1 << (lo & (BLOCK_BITS - 1));
    const old = ring[block]!;
    if ((old & bit) !== 0) return false;
    ring[block] = old | bit;
    return true;
  }

  private advanceTo(ring: Uint32Array, hi: number, lo: number): void {
    // Distance in blocks, capped at the ring size (anything larger clears all).
    const ahead = (hi - this.lastHi) * TWO_32 + (lo - this.lastLo);
    const blocks = Math.min(RING_BLOCKS, Math.floor(((this.lastLo & (BLOCK_BITS - 1)) + ahead) / BLOCK_BITS));
    const current = this.lastLo >>> 5;
    for (let i = 1; i <= blocks; i++) ring[(current + i) % RING_BLOCKS] = 0;
    this.lastHi = hi;
    this.lastLo = lo;
  }
}
