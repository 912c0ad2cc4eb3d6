import { describe, expect, it } from "vitest";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from "./seq.ts";

describe("sequence arithmetic", () => {
  it("wraps additions at 2^32", () => {
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
  });

  it("compares across the wrap point", () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqLe(5, 5)).toBe(true);
    expect(seqGe(5, 5)).toBe(true);
    expect(seqLt(5, 5)).toBe(false);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
  });

  it("checks half-open ranges across the wrap point", () => {
    expect(seqInRange(0, 0xfffffff0, 0x10)).toBe(true);
    expect(seqInRange(0x10, 0xfffffff0, 0x10)).toBe(false);
    expect(seqInRange(0xfffffff0, 0xfffffff0, 0x10)).toBe(true);
  });
});
