import { describe, expect, it } from "vitest";
import { ECHO_REPLY_ICMP, ECHO_REQUEST, PEER, SELF, toHex } from "../../test/net/test-packets.ts";
import { onesComplementSum } from "./checksum.ts";
import { ICMP_ERROR_BURST, ICMP_ERRORS_PER_SECOND } from "./icmp.ts";
import { parseIpv4, writeIpv4Header } from "./ipv4.ts";
import { NetStack } from "./stack.ts";

function makeStack(mtu?: number) {
  const sent: Uint8Array[] = [];
  const stack = new NetStack({ address: SELF, mtu, send: (p) => sent.push(p) });
  return { stack, sent };
}

describe("ICMP echo", () => {
  it("answers a captured echo request with a byte-exact reply", () => {
    const { stack, sent } = makeStack();
    stack.input(ECHO_REQUEST, 0);
    expect(sent).toHaveLength(1);
    const reply = sent[0]!;
    expect(parseIpv4(reply)).toMatchObject({ src: SELF, dst: PEER, protocol: 1, totalLength: 76 });
    expect(toHex(reply.subarray(20))).toBe(toHex(ECHO_REPLY_ICMP));
    expect(stack.icmp.counters).toMatchObject({ echoRequests: 1, echoReplies: 1 });
  });

  it("echoes odd-length and large payloads with a valid checksum", () => {
    const { stack, sent } = makeStack();
    for (const size of [0, 1, 7, 1000, 1392]) {
      const icmp = new Uint8Array(8 + size);
      icmp[0] = 8;
      icmp[4] = 0xab;
      icmp[7] = size & 0xff;
      for (let i = 0; i < size; i++) icmp[8 + i] = (i * 31) & 0xff;
      fillChecksum(icmp);
      const p = new Uint8Array(20 + icmp.length);
      writeIpv4Header(p, 0, { src: PEER, dst: SELF, protocol: 1, payloadLength: icmp.length });
      p.set(icmp, 20);
      stack.input(p, 0);
      const reply = sent.at(-1)!.subarray(20);
      expect(reply[0]).toBe(0);
      expect(onesComplementSum(reply, 0, reply.length)).toBe(0xffff);
      expect(toHex(reply.subarray(4))).toBe(toHex(icmp.subarray(4)));
    }
    expect(sent).toHaveLength(5);
  });

  it("drops requests with a bad ICMP checksum, short messages, and ignores non-requests", () => {
    const { stack, sent } = makeStack();
    const bad = ECHO_REQUEST.slice();
    bad[30]! ^= 0xff;
    stack.input(bad, 0);

    const short = new Uint8Array(24);
    writeIpv4Header(short, 0, { src: PEER, dst: SELF, protocol: 1, payloadLength: 4 });
    stack.input(short, 0);

    const reply = new Uint8Array(28);
    writeIpv4Header(reply, 0, { src: PEER, dst: SELF, protocol: 1, payloadLength: 8 });
    fillChecksum(reply.subarray(20)); // type 0: an echo reply, which we do not answer
    stack.input(reply, 0);

    expect(sent).toHaveLength(0);
    expect(stack.icmp.counters).toMatchObject({ droppedBadChecksum: 1, droppedMalformed: 1, ignored: 1 });
  });

  it("does not answer a request whose reply would exceed the MTU", () => {
    const { stack, sent } = makeStack(68);
    stack.input(ECHO_REQUEST, 0);
    expect(sent).toHaveLength(0);
    expect(stack.icmp.counters.droppedTooBig).toBe(1);
  });
});

describe("ICMP echo client", () => {
  it("builds a request byte-identical to the reference packet", () => {
    const { stack, sent } = makeStack();
    const ref = ECHO_REQUEST.subarray(20);
    stack.icmp.sendEchoRequest(PEER, 0x1234, 1, ref.subarray(8));
    expect(sent).toHaveLength(1);
    expect(parseIpv4(sent[0]!)).toMatchObject({ src: SELF, dst: PEER, protocol: 1, totalLength: 76 });
    expect(toHex(sent[0]!.subarray(20))).toBe(toHex(ref));
    expect(stack.icmp.counters.echoRequestsSent).toBe(1);
  });

  it("hands the peer's reply to the listener of its identifier, and only that one", () => {
    const a = makeStack();
    const b = new NetStack({ address: PEER, send: (p) => a.stack.input(p, 5) });
    const got: Array<[number, number, string, number]> = [];
    const release = a.stack.icmp.onEchoReply(7, (src, seq, data, now) =>
      got.push([src, seq, toHex(data), now]),
    );
    expect(() => a.stack.icmp.onEchoReply(7, () => {})).toThrow(/in use/);
    a.stack.icmp.sendEchoRequest(PEER, 7, 42, Uint8Array.of(1, 2, 3));
    b.input(a.sent[0]!, 0);
    expect(got).toEqual([[PEER, 42, "010203", 5]]);

    // A reply for an identifier nobody holds is counted as ignored, never delivered.
    a.stack.icmp.sendEchoRequest(PEER, 8, 1, Uint8Array.of(9));
    b.input(a.sent[1]!, 0);
    release();
    a.stack.icmp.sendEchoRequest(PEER, 7, 43, Uint8Array.of(9));
    b.input(a.sent[2]!, 0);
    expect(got).toHaveLength(1);
    expect(a.stack.icmp.counters).toMatchObject({ echoRepliesReceived: 1, ignored: 2 });
  });

  it("refuses identifiers outside 16 bits and payloads over the MTU", () => {
    const { stack } = makeStack(100);
    expect(() => stack.icmp.onEchoReply(0x10000, () => {})).toThrow(RangeError);
    expect(() => stack.icmp.sendEchoRequest(PEER, 1, 1, new Uint8Array(73))).toThrow(/exceeds the MTU/);
  });
});

describe("ICMP errors", () => {
  it("are rate limited: a burst, then a steady rate as time passes", () => {
    const { stack, sent } = makeStack();
    const probe = new Uint8Array(30);
    writeIpv4Header(probe, 0, { src: PEER, dst: SELF, protocol: 99, payloadLength: 10 });
    for (let i = 0; i < ICMP_ERROR_BURST + 20; i++) stack.input(probe, 1000);
    expect(sent).toHaveLength(ICMP_ERROR_BURST);
    expect(stack.icmp.counters.unreachableRateLimited).toBe(20);
    // One second later the bucket holds up to a second's worth again, capped at the burst.
    for (let i = 0; i < ICMP_ERROR_BURST + 20; i++) stack.input(probe, 2000);
    expect(sent).toHaveLength(ICMP_ERROR_BURST + Math.min(ICMP_ERROR_BURST, ICMP_ERRORS_PER_SECOND));
  });

  it("are never sent about an ICMP packet", () => {
    const { stack, sent } = makeStack();
    stack.icmp.sendProtocolUnreachable(ECHO_REQUEST, 0);
    expect(sent).toHaveLength(0);
  });
});

function fillChecksum(icmp: Uint8Array): void {
  icmp[2] = 0;
  icmp[3] = 0;
  const c = ~onesComplementSum(icmp, 0, icmp.length) & 0xffff;
  icmp[2] = c >>> 8;
  icmp[3] = c & 0xff;
}
