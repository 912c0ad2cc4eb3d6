import { describe, expect, it } from "vitest";
import { PEER, SELF, toHex, UDP_HELLO, UDP_HELLO_REPLY_SEGMENT } from "../../test/net/test-packets.ts";
import { onesComplementSum, pseudoHeaderSum } from "./checksum.ts";
import { parseIpv4, writeIpv4Header } from "./ipv4.ts";
import { NetStack } from "./stack.ts";
import { Udp, udpEcho } from "./udp.ts";

function makeUdp(mtu?: number) {
  const sent: Uint8Array[] = [];
  const stack = new NetStack({ address: SELF, mtu, send: (p) => sent.push(p) });
  return { stack, udp: new Udp(stack), sent };
}

function udpPacket(
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
  checksum: "ok" | "none" | "bad" = "ok",
) {
  const p = new Uint8Array(28 + data.length);
  writeIpv4Header(p, 0, { src: PEER, dst: SELF, protocol: 17, payloadLength: 8 + data.length });
  const v = new DataView(p.buffer);
  v.setUint16(20, srcPort);
  v.setUint16(22, dstPort);
  v.setUint16(24, 8 + data.length);
  p.set(data, 28);
  if (checksum !== "none") {
    let c = ~onesComplementSum(p, 20, p.length, pseudoHeaderSum(PEER, SELF, 17, 8 + data.length)) & 0xffff;
    if (c === 0) c = 0xffff;
    if (checksum === "bad") c ^= 0x0101;
    v.setUint16(26, c);
  }
  return p;
}

describe("UDP", () => {
  it("delivers a captured datagram and the echo answers byte-exact", () => {
    const { stack, udp, sent } = makeUdp();
    udpEcho(udp, 7);
    stack.input(UDP_HELLO, 0);
    expect(sent).toHaveLength(1);
    expect(parseIpv4(sent[0]!)).toMatchObject({ src: SELF, dst: PEER, protocol: 17 });
    expect(toHex(sent[0]!.subarray(20))).toBe(toHex(UDP_HELLO_REPLY_SEGMENT));
  });

  it("passes source address, port and a stable copy of the data to the listener", () => {
    const { stack, udp } = makeUdp();
    const got: [number, number, string][] = [];
    let kept: Uint8Array | undefined;
    udp.bind(5000, (ip, port, data) => {
      got.push([ip, port, Buffer.from(data).toString()]);
      kept = data;
    });
    const p = udpPacket(9000, 5000, Buffer.from("payload"));
    stack.input(p, 0);
    p.fill(0, 28);
    expect(got).toEqual([[PEER, 9000, "payload"]]);
    expect(Buffer.from(kept!).toString()).toBe("payload");
  });

  it("accepts a zero checksum (none) and drops a wrong one", () => {
    const { stack, udp } = makeUdp();
    const got: string[] = [];
    udp.bind(5000, (_ip, _port, d) => got.push(Buffer.from(d).toString()));
    stack.input(udpPacket(1, 5000, Buffer.from("none"), "none"), 0);
    stack.input(udpPacket(1, 5000, Buffer.from("bad"), "bad"), 0);
    expect(got).toEqual(["none"]);
    expect(udp.counters.droppedBadChecksum).toBe(1);
  });

  it("drops malformed lengths", () => {
    const { stack, udp } = makeUdp();
    udp.bind(5000, () => {});
    const tooLong = udpPacket(1, 5000, new Uint8Array(4), "none");
    tooLong[25] = 13; // UDP says 13 bytes, IP carries 12
    stack.input(tooLong, 0);
    const tooShort = udpPacket(1, 5000, new Uint8Array(4), "none");
    tooShort[25] = 7;
    stack.input(tooShort, 0);
    const noHeader = new Uint8Array(24);
    writeIpv4Header(noHeader, 0, { src: PEER, dst: SELF, protocol: 17, payloadLength: 4 });
    stack.input(noHeader, 0);
    expect(udp.counters.droppedMalformed).toBe(3);
    expect(udp.counters.delivered).toBe(0);
  });

  it("trims to the UDP length when IP carries extra bytes", () => {
    const { stack, udp } = makeUdp();
    const got: string[] = [];
    udp.bind(5000, (_ip, _port, d) => got.push(toHex(d)));
    const p = udpPacket(1, 5000, hex4(), "none");
    p[25] = 10; // 2 bytes of data, 2 trailing bytes ignored
    stack.input(p, 0);
    expect(got).toEqual(["0102"]);
  });

  it("answers a closed port with ICMP port unreachable quoting header + 8 bytes", () => {
    const { stack, udp, sent } = makeUdp();
    const p = udpPacket(9000, 4444, Buffer.from("knock knock"));
    stack.input(p, 0);
    expect(udp.counters.droppedNoListener).toBe(1);
    expect(sent).toHaveLength(1);
    const icmp = sent[0]!.subarray(20);
    expect([icmp[0], icmp[1]]).toEqual([3, 3]);
    expect(onesComplementSum(icmp, 0, icmp.length)).toBe(0xffff);
    expect(toHex(icmp.subarray(8))).toBe(toHex(p.subarray(0, 28)));
  });

  it("sends with a checksum the receiver accepts, up to the MTU limit", () => {
    const { udp, sent } = makeUdp();
    const data = new Uint8Array(1392).map((_, i) => i & 0xff);
    udp.sendTo(5000, PEER, 9000, data);
    const p = sent[0]!;
    expect(p.length).toBe(1420);
    const h = parseIpv4(p)!;
    expect(onesComplementSum(p, 20, p.length, pseudoHeaderSum(h.src, h.dst, 17, p.length - 20))).toBe(0xffff);
    expect(toHex(p.subarray(28))).toBe(toHex(data));
    expect(() => udp.sendTo(5000, PEER, 9000, new Uint8Array(1393))).toThrow(/exceeds the maximum of 1392/);
  });

  it("validates ports and refuses double binds; unbind frees the port", () => {
    const { udp } = makeUdp();
    const unbind = udp.bind(7, () => {});
    expect(() => udp.bind(7, () => {})).toThrow(/already bound/);
    unbind();
    expect(udp.isBound(7)).toBe(false);
    expect(() => udp.bind(0, () => {})).toThrow(/invalid UDP port/);
    expect(() => udp.sendTo(1, PEER, 70000, new Uint8Array(1))).toThrow(/invalid UDP port/);
  });

  it("contains a throwing listener", () => {
    const { stack, udp } = makeUdp();
    udp.bind(5000, () => {
      throw new Error("listener bug");
    });
    expect(() => stack.input(udpPacket(1, 5000, new Uint8Array(1)), 0)).not.toThrow();
    expect(udp.counters.listenerErrors).toBe(1);
  });
});

function hex4(): Uint8Array {
  return new Uint8Array([1, 2, 3, 4]);
}
