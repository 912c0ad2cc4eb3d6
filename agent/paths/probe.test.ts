import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../net/checksum.ts";
import { ipFromString } from "../net/ipv4.ts";
import { buildProbePacket, PROBE_PORT, parseProbePacket } from "./probe.ts";

const src = ipFromString("100.64.0.1");
const dst = ipFromString("100.64.0.2");

describe("path probes", () => {
  it("round-trips and carries a valid UDP checksum", () => {
    const pkt = buildProbePacket({ kind: "ping", path: "relay", seq: 7, sentAt: 123456, src, dst });
    expect(pkt.length).toBe(44);
    expect((pkt[22]! << 8) | pkt[23]!).toBe(PROBE_PORT);
    const sum = onesComplementSum(pkt, 20, 44, pseudoHeaderSum(src, dst, 17, 24));
    expect(finishChecksum(sum)).toBe(0);
    expect(parseProbePacket(pkt)).toEqual({ kind: "ping", path: "relay", seq: 7, sentAt: 123456, src, dst });
  });

  it("ignores ordinary packets and garbage", () => {
    const pkt = buildProbePacket({ kind: "pong", path: "direct", seq: 1, sentAt: 1, src, dst });
    const other = pkt.slice();
    other[30] = 0; // break the magic
    expect(parseProbePacket(other)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        parseProbePacket(b);
      }),
    );
  });
});
