import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeBindingRequest,
  encodeBindingSuccess,
  isStunMessage,
  parseBindingRequest,
  parseBindingSuccess,
} from "./stun.ts";

const tid = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

describe("STUN binding", () => {
  it("encodes a request with the magic cookie and transaction id", () => {
    const r = encodeBindingRequest(tid);
    expect(Buffer.from(r).toString("hex")).toBe(`000100002112a442${Buffer.from(tid).toString("hex")}`);
    expect(isStunMessage(r)).toBe(true);
    expect([...parseBindingRequest(r)!]).toEqual([...tid]);
  });

  it("decodes the XOR-MAPPED-ADDRESS of RFC 5769 section 2.2 (192.0.2.1:32853)", () => {
    // Header and attributes of the RFC's IPv4 response, without its
    // MESSAGE-INTEGRITY and FINGERPRINT (which this client does not check).
    const hex =
      "0101001c2112a442b7e7a701bc34d686fa87dfae" +
      "8022000b7465737420766563746f7220" + // SOFTWARE "test vector" padded
      "002000080001a147e112a643"; // XOR-MAPPED-ADDRESS
    const msg = Uint8Array.from(Buffer.from(hex, "hex"));
    expect(parseBindingSuccess(msg, msg.slice(8, 20))).toEqual({ host: "192.0.2.1", port: 32853 });
  });

  it("round-trips a success response and refuses another transaction", () => {
    const r = encodeBindingSuccess(tid, { host: "203.0.113.7", port: 51820 });
    expect(parseBindingSuccess(r, tid)).toEqual({ host: "203.0.113.7", port: 51820 });
    const other = tid.slice();
    other[0] = 99;
    expect(parseBindingSuccess(r, other)).toBeNull();
  });

  it("never mistakes a WireGuard message for STUN", () => {
    for (const type of [1, 2, 3, 4]) {
      const wg = new Uint8Array(148);
      wg[0] = type;
      expect(isStunMessage(wg)).toBe(false);
    }
  });

  it("survives random and truncated input", () => {
    const good = encodeBindingSuccess(tid, { host: "10.0.0.1", port: 1 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(good.length - 1), (junk, cut) => {
        parseBindingSuccess(junk, tid);
        parseBindingRequest(junk);
        expect(parseBindingSuccess(good.subarray(0, cut), tid)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
