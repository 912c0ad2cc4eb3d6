import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeRelayFrame,
  encodeRelayFrames,
  MAX_RELAY_DATAGRAM,
  MAX_RELAY_FRAME,
  pairName,
} from "./relay.ts";

describe("relay framing", () => {
  it("names a pair the same way from either side", () => {
    expect(pairName("b", "a")).toBe("pair:a,b");
    expect(pairName("a", "b")).toBe("pair:a,b");
  });

  it("lays out each datagram behind a big-endian 2-byte length", () => {
    const [frame] = encodeRelayFrames([Uint8Array.of(1, 2, 3), Uint8Array.of(9)]);
    expect([...frame!]).toEqual([0, 3, 1, 2, 3, 0, 1, 9]);
  });

  it("round-trips batches and splits at the frame limit", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 1500 }), { maxLength: 200 }), (ds) => {
        const frames = encodeRelayFrames(ds);
        for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_RELAY_FRAME);
        const back = frames.flatMap((f) => decodeRelayFrame(f)!);
        expect(back.map((b) => [...b])).toEqual(ds.map((d) => [...d]));
      }),
      { numRuns: 100 },
    );
  });

  it("rejects datagrams the wire cannot carry", () => {
    expect(() => encodeRelayFrames([new Uint8Array(0)])).toThrow(/cannot be framed/);
    expect(() => encodeRelayFrames([new Uint8Array(70_000)])).toThrow(/cannot be framed/);
  });

  it("carries a datagram of MAX_RELAY_DATAGRAM (65,534) bytes in one full frame, and refuses 65,535", () => {
    expect(MAX_RELAY_DATAGRAM).toBe(65_534);
    const biggest = new Uint8Array(MAX_RELAY_DATAGRAM).fill(7);
    const frames = encodeRelayFrames([biggest]);
    expect(frames.map((f) => f.length)).toEqual([MAX_RELAY_FRAME]);
    expect(decodeRelayFrame(frames[0]!)).toEqual([biggest]);
    // 65,535 fits the length prefix but not a 64 KiB frame with it.
    expect(() => encodeRelayFrames([new Uint8Array(65_535)])).toThrow(
      "relay datagram of 65535 bytes cannot be framed (1..65534 bytes)",
    );
  });

  it("drops malformed frames whole", () => {
    expect(decodeRelayFrame(new Uint8Array(0))).toBeNull();
    expect(decodeRelayFrame(Uint8Array.of(0))).toBeNull();
    expect(decodeRelayFrame(Uint8Array.of(0, 0))).toBeNull();
    expect(decodeRelayFrame(Uint8Array.of(0, 5, 1, 2))).toBeNull();
    expect(decodeRelayFrame(Uint8Array.of(0, 1, 7, 0))).toBeNull();
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => {
        const r = decodeRelayFrame(b);
        if (r) expect(r.reduce((n, d) => n + d.length + 2, 0)).toBe(b.length);
      }),
      { numRuns: 500 },
    );
  });
});
