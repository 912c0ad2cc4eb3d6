import { describe, expect, it } from "vitest";
import { DeadlineHeap } from "./deadline-heap.ts";

describe("DeadlineHeap", () => {
  it("is empty with an infinite top", () => {
    const h = new DeadlineHeap<string>();
    expect(h.size).toBe(0);
    expect(h.topAt).toBe(Number.POSITIVE_INFINITY);
    h.pop();
    expect(h.size).toBe(0);
  });

  it("pops in deadline order, whatever the push order (seeded random)", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % 1000;
    };
    const h = new DeadlineHeap<number>();
    const pushed: number[] = [];
    for (let i = 0; i < 500; i++) {
      const at = rand();
      pushed.push(at);
      h.push(at, i);
      // Interleave pops, as the layer does while timers fire.
      if (i % 7 === 0) {
        const top = h.topAt;
        expect(pushed.includes(top)).toBe(true);
        expect(Math.min(...pushed)).toBe(top);
        pushed.splice(pushed.indexOf(top), 1);
        h.pop();
      }
    }
    const out: number[] = [];
    while (h.size > 0) {
      out.push(h.topAt);
      h.pop();
    }
    expect(out).toEqual([...pushed].sort((a, b) => a - b));
  });

  it("keeps each item with its deadline", () => {
    const h = new DeadlineHeap<string>();
    h.push(30, "c");
    h.push(10, "a");
    h.push(20, "b");
    h.push(10, "a2");
    const got: string[] = [];
    while (h.size > 0) {
      got.push(`${h.topAt}:${h.topItem}`);
      h.pop();
    }
    expect(got.slice(0, 2).sort()).toEqual(["10:a", "10:a2"]);
    expect(got.slice(2)).toEqual(["20:b", "30:c"]);
  });
});
