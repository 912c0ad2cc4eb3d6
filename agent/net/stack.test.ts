import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ECHO_REQUEST, PEER, SELF, UDP_HELLO } from "../../test/net/test-packets.ts";
import { parseIpv4, writeIpv4Header } from "./ipv4.ts";
import { NetStack } from "./stack.ts";
import { Udp } from "./udp.ts";

function makeStack(mtu?: number) {
  const sent: Uint8Array[] = [];
  const stack = new NetStack({ address: "100.64.0.2", mtu, send: (p) => sent.push(p) });
  return { stack, sent };
}

describe("NetStack", () => {
  it("accepts its address as string or number", () => {
    expect(new NetStack({ address: SELF, send: () => {} }).address).toBe(SELF);
    expect(new NetStack({ address: "100.64.0.2", send: () => {} }).address).toBe(SELF);
    expect(() => new NetStack({ address: "100.64.0", send: () => {} })).toThrow(/invalid IPv4 address/);
    expect(() => new NetStack({ address: SELF, mtu: 60, send: () => {} })).toThrow(/invalid MTU/);
  });

  it("dispatches to a registered protocol with header, trimmed payload and whole packet", () => {
    const { stack } = makeStack();
    const seen: { proto: number; payload: string; packetLength: number; now: number }[] = [];
    stack.registerProtocol(200, {
      input: (h, payload, now, packet) =>
        seen.push({
          proto: h.protocol,
          payload: Buffer.from(payload).toString(),
          packetLength: packet.length,
          now,
        }),
    });
    const p = new Uint8Array(20 + 3 + 5); // 5 bytes of link padding after the datagram
    writeIpv4Header(p, 0, { src: PEER, dst: SELF, protocol: 200, payloadLength: 3 });
    p.set(Buffer.from("abc"), 20);
    stack.input(p, 42);
    expect(seen).toEqual([{ proto: 200, payload: "abc", packetLength: 23, now: 42 }]);
    expect(stack.counters.delivered).toBe(1);
  });

  it("refuses duplicate or invalid protocol registrations", () => {
    const { stack } = makeStack();
    expect(() => stack.registerProtocol(1, { input: () => {} })).toThrow(/already has a handler/);
    expect(() => stack.registerProtocol(256, { input: () => {} })).toThrow(/invalid IP protocol/);
  });

  it("drops and counts bad header checksums", () => {
    const { stack, sent } = makeStack();
    const p = ECHO_REQUEST.slice();
    p[10]! ^= 0x01;
    stack.input(p, 0);
    expect(stack.counters.droppedBadChecksum).toBe(1);
    expect(sent).toHaveLength(0);
  });

  it("drops and counts fragments (MF set, or a non-zero offset)", () => {
    const { stack, sent } = makeStack();
    const withMf = new Uint8Array(28);
    writeIpv4Header(withMf, 0, { src: PEER, dst: SELF, protocol: 17, payloadLength: 8, flags: 0b001 });
    stack.input(withMf, 0);

    const withOffset = UDP_HELLO.slice();
    withOffset[6] = 0x00;
    withOffset[7] = 0x10; // offset 16 * 8 bytes, DF cleared
    withOffset[10] = 0;
    withOffset[11] = 0;
    writeChecksum(withOffset);
    expect(parseIpv4(withOffset)?.fragmentOffset).toBe(16);
    stack.input(withOffset, 0);

    expect(stack.counters.droppedFragment).toBe(2);
    expect(sent).toHaveLength(0);
  });

  it("drops packets for other addresses", () => {
    const { stack, sent } = makeStack();
    const p = new Uint8Array(28);
    writeIpv4Header(p, 0, { src: PEER, dst: SELF + 1, protocol: 1, payloadLength: 8 });
    stack.input(p, 0);
    expect(stack.counters.droppedNotForUs).toBe(1);
    expect(sent).toHaveLength(0);
  });

  it("counts garbage as malformed", () => {
    const { stack } = makeStack();
    stack.input(new Uint8Array(0), 0);
    stack.input(new Uint8Array([0x60, 0, 0, 0]), 0);
    stack.input(ECHO_REQUEST.subarray(0, 40), 0); // total length says 76
    expect(stack.counters.droppedMalformed).toBe(3);
    expect(stack.counters.received).toBe(3);
  });

  it("answers an unknown protocol with ICMP protocol unreachable", () => {
    const { stack, sent } = makeStack();
    const p = new Uint8Array(30);
    writeIpv4Header(p, 0, { src: PEER, dst: SELF, protocol: 99, payloadLength: 10 });
    stack.input(p, 0);
    expect(stack.counters.droppedUnknownProtocol).toBe(1);
    expect(sent).toHaveLength(1);
    const reply = sent[0]!;
    expect(parseIpv4(reply)).toMatchObject({ src: SELF, dst: PEER, protocol: 1 });
    expect([reply[20], reply[21]]).toEqual([3, 2]);
    expect(Buffer.from(reply.subarray(28))).toEqual(Buffer.from(p.subarray(0, 28)));
  });

  it("contains a throwing handler and counts it", () => {
    const { stack } = makeStack();
    stack.registerProtocol(200, {
      input: () => {
        throw new Error("boom");
      },
      tick: () => {
        throw new Error("tick boom");
      },
    });
    const p = new Uint8Array(20);
    writeIpv4Header(p, 0, { src: PEER, dst: SELF, protocol: 200, payloadLength: 0 });
    expect(() => stack.input(p, 0)).not.toThrow();
    expect(() => stack.tick(1)).not.toThrow();
    expect(stack.counters.handlerErrors).toBe(2);
    expect((stack.lastHandlerError as Error).message).toBe("tick boom");
  });

  it("passes time to handler ticks", () => {
    const { stack } = makeStack();
    const ticks: number[] = [];
    stack.registerProtocol(200, { input: () => {}, tick: (now) => ticks.push(now) });
    stack.tick(100);
    stack.tick(200);
    expect(ticks).toEqual([100, 200]);
  });

  it("writes valid headers with increasing ids and refuses payloads over the MTU", () => {
    const { stack, sent } = makeStack(100);
    stack.output(17, PEER, new Uint8Array(80));
    stack.output(17, PEER, new Uint8Array(1));
    const a = parseIpv4(sent[0]!)!;
    const b = parseIpv4(sent[1]!)!;
    expect(a).toMatchObject({ src: SELF, dst: PEER, protocol: 17, totalLength: 100, flags: 0b010 });
    expect(b.id).toBe((a.id + 1) & 0xffff);
    expect(() => stack.output(17, PEER, new Uint8Array(81))).toThrow(/exceeds the MTU/);
    expect(stack.counters.sent).toBe(2);
  });

  it("transmits whole packets built by a protocol, within the MTU", () => {
    const { stack, sent } = makeStack(100);
    const p = new Uint8Array(100);
    writeIpv4Header(p, 0, { src: SELF, dst: PEER, protocol: 6, payloadLength: 80 });
    stack.transmit(p);
    expect(sent).toEqual([p]);
    expect(stack.counters.sent).toBe(1);
    expect(() => stack.transmit(new Uint8Array(101))).toThrow(/exceeds the MTU/);
  });

  it("never throws and never emits invalid packets on random input", () => {
    const { stack, sent } = makeStack();
    const udp = new Udp(stack);
    udp.bind(7, () => {});
    const mutated = fc
      .tuple(fc.constantFrom(ECHO_REQUEST, UDP_HELLO), fc.nat(), fc.nat(255))
      .map(([p, i, v]) => {
        const c = p.slice();
        c[i % c.length] = v;
        return c;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1600 }), mutated), (bytes) => {
        stack.input(bytes, 0);
      }),
      { numRuns: 3000 },
    );
    for (const p of sent) expect(parseIpv4(p)).not.toBeNull();
    expect(stack.counters.handlerErrors).toBe(0);
  });
});

function writeChecksum(p: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  p[10] = c >>> 8;
  p[11] = c & 0xff;
}
