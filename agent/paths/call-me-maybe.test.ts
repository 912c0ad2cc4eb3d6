import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../net/checksum.ts";
import { ipFromString } from "../net/ipv4.ts";
import { buildCallMeMaybe, MAX_ANNOUNCED_ENDPOINTS, parseCallMeMaybe } from "./call-me-maybe.ts";
import { buildProbePacket, parseProbePacket } from "./probe.ts";

const src = ipFromString("100.64.0.1");
const dst = ipFromString("100.64.0.2");

describe("call-me-maybe", () => {
  it("round-trips endpoints with a valid UDP checksum, byte for byte", () => {
    const pkt = buildCallMeMaybe(src, dst, [
      { host: "198.18.1.2", port: 51820 },
      { host: "10.1.0.2", port: 40000 },
    ]);
    expect(pkt.length).toBe(20 + 8 + 8 + 12);
    expect(Buffer.from(pkt.subarray(28)).toString("hex")).toBe(
      `54434d4d02000000c6120102ca6c0a010002${(40000).toString(16)}`,
    );
    const sum = onesComplementSum(pkt, 20, pkt.length, pseudoHeaderSum(src, dst, 17, pkt.length - 20));
    expect(finishChecksum(sum)).toBe(0);
    expect(parseCallMeMaybe(pkt)).toEqual({
      src,
      dst,
      endpoints: [
        { host: "198.18.1.2", port: 51820 },
        { host: "10.1.0.2", port: 40000 },
      ],
    });
  });

  it("leaves out names and IPv6, and caps the list", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 1000 + i }));
    const parsed = parseCallMeMaybe(buildCallMeMaybe(src, dst, [{ host: "example.org", port: 1 }, ...many]));
    expect(parsed?.endpoints.length).toBe(MAX_ANNOUNCED_ENDPOINTS);
    expect(parsed?.endpoints[0]).toEqual({ host: "10.0.0.1", port: 1000 });
  });

  it("is not a probe, and a probe is not an announcement", () => {
    const cmm = buildCallMeMaybe(src, dst, [{ host: "10.0.0.1", port: 1 }]);
    const probe = buildProbePacket({ kind: "ping", path: "direct", seq: 1, sentAt: 1, src, dst });
    expect(parseProbePacket(cmm)).toBeNull();
    expect(parseCallMeMaybe(probe)).toBeNull();
  });

  it("refuses a count that does not match the length, port 0, and garbage", () => {
    const pkt = buildCallMeMaybe(src, dst, [{ host: "10.0.0.1", port: 5 }]);
    const wrongCount = pkt.slice();
    wrongCount[32] = 2;
    expect(parseCallMeMaybe(wrongCount)).toBeNull();
    const portZero = buildCallMeMaybe(src, dst, [{ host: "10.0.0.1", port: 0 }]);
    expect(parseCallMeMaybe(portZero)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        parseCallMeMaybe(b);
      }),
    );
    // Random payloads behind a valid header and magic never throw either.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => {
        const head = buildCallMeMaybe(src, dst, []);
        const p = new Uint8Array(head.length + tail.length);
        p.set(head);
        p.set(tail, head.length);
        parseCallMeMaybe(p);
      }),
    );
  });
});
