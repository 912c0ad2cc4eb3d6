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

  it("grows its block on demand up to the capacity, keeping order across the wrap", () => {
    const r = new ByteRing(100_000);
    expect(r.allocated).toBe(0);
    const a = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    r.write(a);
    r.discard(9_000);
    r.write(a);
    expect(r.allocated).toBe(16 * 1024);
    const big = Uint8Array.from({ length: 60_000 }, (_, i) => (i * 3) & 0xff);
    expect(r.write(big)).toBe(60_000);
    expect(r.allocated).toBe(100_000);
    const out = new Uint8Array(r.length);
    r.copyTo(out, 0, 0, r.length);
    expect([...out.subarray(0, 1000)]).toEqual([...a.subarray(9_000)]);
    expect([...out.subarray(1000, 11_000)]).toEqual([...a]);
    expect(Buffer.from(out.subarray(11_000)).equals(Buffer.from(big))).toBe(true);
    expect(r.write(new Uint8Array(50_000))).toBe(100_000 - 71_000);
  });

  it("holds no block while empty, and starts small again after draining", () => {
    const r = new ByteRing(256 * 1024);
    r.write(new Uint8Array(100));
    expect(r.allocated).toBe(4 * 1024);
    r.discard(0);
    expect(r.allocated).toBe(4 * 1024);
    r.discard(100);
    expect(r.allocated).toBe(0);
    expect(r.length).toBe(0);
    r.copyTo(new Uint8Array(0), 0, 0, 0);
    expect(r.write(Uint8Array.of(9, 8, 7))).toBe(3);
    const out = new Uint8Array(3);
    r.copyTo(out, 0, 0, 3);
    expect([...out]).toEqual([9, 8, 7]);
    expect(new ByteRing(100).write(new Uint8Array(100))).toBe(100);
  });

  it("rejects out-of-range reads and discards", () => {
    const r = new ByteRing(4);
    r.write(new Uint8Array([1, 2]));
    expect(() => r.copyTo(new Uint8Array(4), 0, 1, 2)).toThrow(RangeError);
    expect(() => r.discard(3)).toThrow(RangeError);
    expect(() => new ByteRing(0)).toThrow(RangeError);
  });
});
