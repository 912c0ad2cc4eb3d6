import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "./checksum.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

/** Straightforward reference: sum 16-bit words with BigInt, fold at the end. */
function referenceSum(buf: Uint8Array): number {
  let sum = 0n;
  for (let i = 0; i < buf.length; i += 2) {
    const hi = BigInt(buf[i]!);
    const lo = i + 1 < buf.length ? BigInt(buf[i + 1]!) : 0n;
    sum += (hi << 8n) | lo;
  }
  while (sum > 0xffffn) sum = (sum & 0xffffn) + (sum >> 16n);
  return Number(sum);
}

describe("onesComplementSum / finishChecksum", () => {
  it("matches the RFC 1071 worked example", () => {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    const data = hex("0001f203f4f5f6f7");
    expect(onesComplementSum(data, 0, data.length)).toBe(0xddf2);
    expect(finishChecksum(0xddf2)).toBe(0x220d);
  });

  it("computes the header checksum of a known IPv4 header", () => {
    // Classic example header with checksum b861 zeroed out.
    const header = hex("45000073000040004011 0000 c0a80001c0a800c7");
    expect(finishChecksum(onesComplementSum(header, 0, header.length))).toBe(0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    // A header that includes its own correct checksum sums to 0xffff.
    expect(onesComplementSum(header, 0, header.length)).toBe(0xffff);
  });

  it("pads an odd trailing byte with zero", () => {
    expect(onesComplementSum(hex("ab"), 0, 1)).toBe(0xab00);
    expect(onesComplementSum(hex("0102ab"), 0, 3)).toBe(0x0102 + 0xab00);
  });

  it("honours start, end and the initial value", () => {
    const data = hex("ffff 1234 5678 ffff");
    expect(onesComplementSum(data, 2, 6)).toBe(0x1234 + 0x5678);
    expect(onesComplementSum(data, 2, 6, 0x0001)).toBe(0x1234 + 0x5678 + 1);
    expect(onesComplementSum(data, 3, 3)).toBe(0);
  });

  it("agrees with a BigInt reference on random buffers, including large ones", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70_000 }), (buf) => {
        expect(onesComplementSum(buf, 0, buf.length)).toBe(referenceSum(buf));
      }),
      { numRuns: 60 },
    );
  });

  it("agrees with the reference on any sub-range, aligned to 4 bytes or not (the 32-bit fast path)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat(3000),
        fc.nat(3000),
        fc.nat(0xffff),
        (buf, a, b, initial) => {
          const start = Math.min(a, b, buf.length);
          const end = Math.min(Math.max(a, b), buf.length);
          const expected = referenceSum(
            Uint8Array.from([initial >> 8, initial & 0xff, ...buf.subarray(start, end)]),
          );
          expect(onesComplementSum(buf, start, end, initial)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is split-invariant at even offsets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 400 }), fc.nat(), (buf, n) => {
        const cut = (n % (buf.length >> 1)) * 2;
        const whole = onesComplementSum(buf, 0, buf.length);
        const parts = onesComplementSum(buf, cut, buf.length, onesComplementSum(buf, 0, cut));
        expect(parts).toBe(whole);
      }),
    );
  });

  it("all-ones data folds to 0xffff and inverts to 0", () => {
    const data = new Uint8Array(1000).fill(0xff);
    expect(onesComplementSum(data, 0, data.length)).toBe(0xffff);
    expect(finishChecksum(0xffff)).toBe(0);
    expect(finishChecksum(0)).toBe(0xffff);
  });
});

describe("pseudoHeaderSum", () => {
  it("equals the sum of the serialized pseudo-header", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(255), fc.nat(0xffff), (src, dst, p, len) => {
        const b = new Uint8Array(12);
        const v = new DataView(b.buffer);
        v.setUint32(0, src);
        v.setUint32(4, dst);
        v.setUint8(9, p);
        v.setUint16(10, len);
        expect(pseudoHeaderSum(src, dst, p, len)).toBe(referenceSum(b));
      }),
    );
  });
});
