import { describe, expect, it } from "vitest";
import { toHex } from "../../test/wireguard/vectors.ts";
import { compareTai64n, encodeTai64n, nextTai64n } from "./tai64n.ts";

describe("TAI64N", () => {
  it("encodes seconds as 2^62 + 10 + unix seconds, big-endian, with whitened nanoseconds", () => {
    const t = encodeTai64n(1_700_000_000_123);
    expect(toHex(t.subarray(0, 8))).toBe(
      (0x400000000000000an + 1_700_000_000n).toString(16).padStart(16, "0"),
    );
    const nanos = new DataView(t.buffer).getUint32(8, false);
    expect(nanos % 2 ** 24).toBe(0);
    expect(nanos).toBeLessThanOrEqual(123_000_000);
    expect(123_000_000 - nanos).toBeLessThan(2 ** 24);
  });

  it("orders by time and steps strictly forward", () => {
    const a = encodeTai64n(1000);
    const b = encodeTai64n(2000);
    expect(compareTai64n(a, b)).toBeLessThan(0);
    expect(compareTai64n(b, a)).toBeGreaterThan(0);
    expect(compareTai64n(a, encodeTai64n(1000))).toBe(0);
    expect(compareTai64n(nextTai64n(a), a)).toBeGreaterThan(0);
    const endOfSecond = encodeTai64n(1999.99);
    expect(compareTai64n(nextTai64n(endOfSecond), endOfSecond)).toBeGreaterThan(0);
  });
});
