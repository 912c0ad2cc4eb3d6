import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  cidrToString,
  FLAG_DF,
  FLAG_MF,
  ipFromString,
  ipToString,
  isFragment,
  PROTO_UDP,
  parseCidr,
  parseInterfaceAddress,
  parseIpv4,
  prefixMask,
  writeIpv4Header,
} from "./ipv4.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

// A well-known UDP packet header (192.168.0.1 -> 192.168.0.199, DF, TTL 64, checksum b861),
// followed by 95 bytes of payload so total length 0x73 = 115 fits the buffer.
const KNOWN_HEADER = "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7";
function knownPacket(): Uint8Array {
  const p = new Uint8Array(115);
  p.set(hex(KNOWN_HEADER), 0);
  return p;
}

describe("parseIpv4", () => {
  it("parses a known-good header", () => {
    expect(parseIpv4(knownPacket())).toEqual({
      src: 0xc0a80001,
      dst: 0xc0a800c7,
      protocol: 17,
      ttl: 64,
      id: 0,
      flags: FLAG_DF,
      fragmentOffset: 0,
      headerLength: 20,
      totalLength: 115,
    });
  });

  it("tolerates trailing padding beyond the total length", () => {
    const p = new Uint8Array(200);
    p.set(knownPacket(), 0);
    expect(parseIpv4(p)?.totalLength).toBe(115);
  });

  it("rejects a bad header checksum", () => {
    const p = knownPacket();
    p[11] = 0x62;
    expect(parseIpv4(p)).toBeNull();
  });

  it("rejects a wrong version, a short IHL, and lengths that do not fit", () => {
    const v6 = knownPacket();
    v6[0] = 0x65;
    expect(parseIpv4(v6)).toBeNull();

    const shortIhl = new Uint8Array(40);
    writeIpv4Header(shortIhl, 0, { src: 1, dst: 2, protocol: 17, payloadLength: 20 });
    shortIhl[0] = 0x44;
    expect(parseIpv4(shortIhl)).toBeNull();

    expect(parseIpv4(knownPacket().subarray(0, 114))).toBeNull(); // total length > buffer
    expect(parseIpv4(knownPacket().subarray(0, 19))).toBeNull();
    expect(parseIpv4(new Uint8Array(0))).toBeNull();

    const tooShortTotal = new Uint8Array(20);
    writeIpv4Header(tooShortTotal, 0, { src: 1, dst: 2, protocol: 17, payloadLength: 0 });
    tooShortTotal[3] = 19; // total < header length; fix checksum so only the length is wrong
    tooShortTotal[10] = 0;
    tooShortTotal[11] = 0;
    expect(parseIpv4(tooShortTotal)).toBeNull();
  });

  it("reports fragment fields", () => {
    const p = new Uint8Array(28);
    writeIpv4Header(p, 0, { src: 1, dst: 2, protocol: 17, payloadLength: 8, flags: FLAG_MF, id: 0x1234 });
    const h = parseIpv4(p)!;
    expect(h.flags).toBe(FLAG_MF);
    expect(h.id).toBe(0x1234);
    expect(isFragment(h)).toBe(true);
  });

  it("accepts a header with options (IHL 6)", () => {
    const p = new Uint8Array(24);
    p.set(hex("4600 0018 0001 0000 4001 0000 0a000001 0a000002 01010100"));
    // Fill the checksum via a round trip through the generic path.
    const h0 = parseIpv4(p);
    expect(h0).toBeNull();
    let sum = 0;
    for (let i = 0; i < 24; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    p[10] = c >> 8;
    p[11] = c & 0xff;
    expect(parseIpv4(p)?.headerLength).toBe(24);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (buf) => {
        const h = parseIpv4(buf);
        if (h) expect(h.totalLength).toBeLessThanOrEqual(buf.length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("writeIpv4Header", () => {
  it("reproduces the known header byte for byte", () => {
    const p = new Uint8Array(20);
    writeIpv4Header(p, 0, { src: 0xc0a80001, dst: 0xc0a800c7, protocol: PROTO_UDP, payloadLength: 95 });
    expect(Buffer.from(p).toString("hex")).toBe(KNOWN_HEADER.replace(/\s+/g, ""));
  });

  it("round-trips through parseIpv4 at an offset", () => {
    fc.assert(
      fc.property(
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        fc.nat(255),
        fc.nat(1000),
        fc.nat(0xffff),
        fc.integer({ min: 1, max: 255 }),
        (src, dst, protocol, payloadLength, id, ttl) => {
          const buf = new Uint8Array(4 + 20 + payloadLength);
          writeIpv4Header(buf, 4, { src, dst, protocol, payloadLength, id, ttl });
          const h = parseIpv4(buf.subarray(4));
          expect(h).toMatchObject({ src, dst, protocol, id, ttl, totalLength: 20 + payloadLength });
        },
      ),
    );
  });

  it("refuses packets over 65535 bytes and headers that do not fit", () => {
    expect(() =>
      writeIpv4Header(new Uint8Array(20), 0, { src: 0, dst: 0, protocol: 1, payloadLength: 65516 }),
    ).toThrow(/too long/);
    expect(() =>
      writeIpv4Header(new Uint8Array(20), 1, { src: 0, dst: 0, protocol: 1, payloadLength: 0 }),
    ).toThrow(/does not fit/);
  });
});

describe("addresses and CIDRs", () => {
  it("converts between strings and numbers", () => {
    expect(ipFromString("100.64.0.1")).toBe(0x64400001);
    expect(ipFromString("255.255.255.255")).toBe(0xffffffff);
    expect(ipToString(0xffffffff)).toBe("255.255.255.255");
    expect(ipToString(0x64400002)).toBe("100.64.0.2");
    fc.assert(
      fc.property(fc.nat(0xffffffff), (ip) => {
        expect(ipFromString(ipToString(ip))).toBe(ip);
      }),
    );
  });

  it("rejects malformed addresses", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "a.b.c.d",
      " 1.2.3.4",
      "1.2.3.-4",
    ]) {
      expect(() => ipFromString(bad), bad).toThrow(/invalid IPv4 address/);
    }
  });

  it("parses CIDRs, clears host bits and matches", () => {
    const c = parseCidr("100.64.0.7/10");
    expect(cidrToString(c)).toBe("100.64.0.0/10");
    expect(cidrContains(c, ipFromString("100.127.255.255"))).toBe(true);
    expect(cidrContains(c, ipFromString("100.128.0.0"))).toBe(false);
    expect(cidrContains(parseCidr("0.0.0.0/0"), 0xdeadbeef)).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.1"), ipFromString("10.0.0.1"))).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.1/32"), ipFromString("10.0.0.2"))).toBe(false);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(0)).toBe(0);
  });

  it("rejects malformed CIDRs", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "10.0.0.0/-1"]) {
      expect(() => parseCidr(bad), bad).toThrow(/invalid/);
    }
    expect(() => prefixMask(33)).toThrow(/invalid prefix length/);
  });

  it("keeps the host part of an interface address", () => {
    expect(parseInterfaceAddress("100.64.0.2/10")).toEqual({ address: 0x64400002, prefixLength: 10 });
    expect(parseInterfaceAddress("100.64.0.2")).toEqual({ address: 0x64400002, prefixLength: 32 });
  });
});
