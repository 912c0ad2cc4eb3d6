import { describe, expect, it } from "vitest";
import { ByteRing } from "./byte-ring.ts";

describe("ByteRing", () => {
  it("accepts only what fits and reports it", () => {
    const r = new ByteRing(8);
    expect(r.write(new Uint8Array([1, 2, 3, 4, 5]))).toBe(5);
    expect(r.write(new Uint8Array([6, 7, 8, 9, 10]))).toBe(3);
    expect(r.length).toBe(8);
    expect(r.free).toBe(0);
    expect(r.write(new Uint8Array([1]))).toBe(0);
  });

  it("reads across the wrap point", () => {
    const r = new ByteRing(8);
    r.write(new Uint8Array([1, 2, 3, 4, 5, 6]));
    r.discard(5);
    r.write(new Uint8Array([7, 8, 9, 10, 11]));
    const out = new Uint8Array(8);
    r.copyTo(out, 1, 0, 6);
    expect([...out]).toEqual([0, 6, 7, 8, 9, 10, 11, 0]);
    const part = new Uint8Array(2);
    r.copyTo(part, 0, 3, 2);
    expect([...part]).toEqual([9, 10]);
  });

  it("rejects out-of-range reads and discards", () => {
    const r = new ByteRing(4);
    r.write(new Uint8Array([1, 2]));
    expect(() => r.copyTo(new Uint8Array(4), 0, 1, 2)).toThrow(RangeError);
    expect(() => r.discard(3)).toThrow(RangeError);
    expect(() => new ByteRing(0)).toThrow(RangeError);
  });
});
