import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPLAY_WINDOW } from "./constants.ts";
import { ReplayWindow } from "./replay-window.ts";

const TWO_32 = 2 ** 32;
const accept = (w: ReplayWindow, n: number) => w.accept(Math.floor(n / TWO_32), n >>> 0);

describe("ReplayWindow", () => {
  it.each([
    { name: "in order", seq: [0, 1, 2, 3], want: [true, true, true, true] },
    { name: "duplicate", seq: [0, 1, 1, 0], want: [true, true, false, false] },
    { name: "reordered within window", seq: [5, 3, 4, 2, 3], want: [true, true, true, true, false] },
    { name: "exactly at the window edge", seq: [10_000, 10_000 - REPLAY_WINDOW], want: [true, true] },
    { name: "one beyond the window edge", seq: [10_000, 10_000 - REPLAY_WINDOW - 1], want: [true, false] },
    { name: "first counter may be large", seq: [123_456, 0], want: [true, false] },
    {
      name: "far-future jump clears the ring",
      seq: [1, 2 ** 40, 2, 2 ** 40 - REPLAY_WINDOW, 2 ** 40 - REPLAY_WINDOW - 1, 2 ** 40],
      want: [true, true, false, true, false, false],
    },
    {
      name: "jump of exactly one ring reuses the slot",
      seq: [5, 5 + 8192, 5 + 8192, 5],
      want: [true, true, false, false],
    },
    {
      name: "crossing the 32-bit boundary",
      seq: [TWO_32 + 5, TWO_32 - 10, TWO_32 - 10],
      want: [true, true, false],
    },
  ])("$name", ({ seq, want }) => {
    const w = new ReplayWindow();
    expect(seq.map((n) => accept(w, n))).toEqual(want);
  });

  it("rejects counters at or beyond REJECT_AFTER_MESSAGES (2^64 - 2^13 - 1)", () => {
    const w = new ReplayWindow();
    expect(w.accept(0xffffffff, 0xffffdfff)).toBe(false);
    expect(w.accept(0xffffffff, 0xffffffff)).toBe(false);
    expect(w.accept(0xffffffff, 0xffffdffe)).toBe(true);
    expect(w.accept(0xffffffff, 0xffffdffe)).toBe(false);
    expect(w.accept(0xffffffff, 0xffffdffe - REPLAY_WINDOW)).toBe(true);
  });

  it("matches a set-based reference model on random sequences", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30_000 }), { maxLength: 400 }), (seq) => {
        const w = new ReplayWindow();
        const seen = new Set<number>();
        let last = -1;
        for (const c of seq) {
          const expected = !seen.has(c) && (c > last || last - c <= REPLAY_WINDOW);
          expect(accept(w, c)).toBe(expected);
          if (expected) {
            seen.add(c);
            last = Math.max(last, c);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
