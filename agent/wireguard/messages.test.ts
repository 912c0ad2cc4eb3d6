import { describe, expect, it } from "vitest";
import { classify, readU32, writeU32 } from "./messages.ts";

function msg(type: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  b[0] = type;
  return b;
}

describe("classify", () => {
  it.each([
    { name: "empty", data: new Uint8Array(0), want: "too-short" },
    { name: "3 bytes", data: Uint8Array.of(1, 0, 0), want: "too-short" },
    { name: "type 0", data: msg(0, 148), want: "unknown-type" },
    { name: "type 5", data: msg(5, 64), want: "unknown-type" },
    { name: "type 255", data: msg(255, 64), want: "unknown-type" },
    { name: "initiation 147", data: msg(1, 147), want: "bad-length" },
    { name: "initiation 149", data: msg(1, 149), want: "bad-length" },
    { name: "initiation 148", data: msg(1, 148), want: 1 },
    { name: "response 91", data: msg(2, 91), want: "bad-length" },
    { name: "response 93", data: msg(2, 93), want: "bad-length" },
    { name: "response 92", data: msg(2, 92), want: 2 },
    { name: "cookie 63", data: msg(3, 63), want: "bad-length" },
    { name: "cookie 65", data: msg(3, 65), want: "bad-length" },
    { name: "cookie 64", data: msg(3, 64), want: 3 },
    { name: "transport 31", data: msg(4, 31), want: "bad-length" },
    { name: "transport 32", data: msg(4, 32), want: 4 },
    { name: "transport 1500", data: msg(4, 1500), want: 4 },
  ])("$name -> $want", ({ data, want }) => {
    expect(classify(data)).toBe(want);
  });

  it.each([1, 2, 3])("rejects a nonzero reserved byte %i for every type", (byte) => {
    for (const [type, len] of [
      [1, 148],
      [2, 92],
      [3, 64],
      [4, 32],
    ] as const) {
      const m = msg(type, len);
      m[byte] = 0x80;
      expect(classify(m)).toBe("reserved-nonzero");
    }
  });

  it("reads and writes little-endian u32", () => {
    const b = new Uint8Array(6);
    writeU32(b, 1, 0xdeadbeef);
    expect([...b]).toEqual([0, 0xef, 0xbe, 0xad, 0xde, 0]);
    expect(readU32(b, 1)).toBe(0xdeadbeef);
  });
});
