import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.ts";

describe("Backoff", () => {
  it("doubles its ceiling up to the maximum and resets", () => {
    const b = new Backoff(100, 1000, () => 0.999999);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    b.reset();
    expect(b.next()).toBe(99);
  });

  it("jitters down to zero", () => {
    const b = new Backoff(100, 1000, () => 0);
    expect(b.next()).toBe(0);
  });
});
