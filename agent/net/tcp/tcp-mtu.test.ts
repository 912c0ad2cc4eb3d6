import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../../test/net/tcp/sim-network.ts";
import { connectPair, decodeTcp, IP_A, makePair, Sink, sha256 } from "../../../test/net/tcp/test-harness.ts";

describe("MSS follows a lowered path MTU", () => {
  it("an open connection cuts new segments and retransmissions to the new size, byte-exact", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    // Timestamps take 12 bytes of every segment.
    expect(client.transport.mss).toBe(1368);
    const data = new SeededRandom(11).bytes(2 << 20);
    let offset = 0;
    const pump = () => {
      while (offset < data.length) {
        const k = client.write(data.subarray(offset));
        if (k === 0) return;
        offset += k;
      }
      client.end();
    };
    client.onWritable = pump;
    pump();
    pair.net.advance(30);

    // The tunnel's MTU drops to 1000 mid-transfer: the link now drops anything larger.
    let largest = 0;
    let dropped = 0;
    pair.net.tap = (p, h) => {
      if (p.length > 1000) {
        dropped++;
        return false;
      }
      if (h.src === IP_A) largest = Math.max(largest, decodeTcp(p).seg.payload.length);
      return true;
    };
    // The agent learns of it a little later: full-size segments sent meanwhile are lost.
    pair.net.advance(20);
    expect(dropped).toBeGreaterThan(0);
    const cwndBefore = client.transport.cwnd;
    pair.a.setPathMtu(1000);
    expect(client.transport.mss).toBe(948);
    expect(pair.a.config.mss).toBe(960);
    // The window keeps its size in bytes across the change.
    expect(Math.abs(client.transport.cwnd - cwndBefore)).toBeLessThan(948);

    expect(pair.net.runUntil(() => sink.ended, 120_000)).toBe(true);
    expect(sink.digest()).toBe(sha256(data));
    expect(dropped).toBeGreaterThan(0);
    expect(largest).toBe(948);
  });

  it("new connections announce the lowered MSS; a raised MTU does not grow open ones", () => {
    const pair = makePair();
    const first = connectPair(pair).client;
    pair.a.setPathMtu(576);
    const syns: (number | undefined)[] = [];
    pair.net.tap = (p) => {
      const { seg } = decodeTcp(p);
      if (seg.mss !== undefined) syns.push(seg.mss);
      return true;
    };
    const second = connectPair(pair, 81).client;
    expect(syns[0]).toBe(536);
    expect(second.transport.mss).toBe(524);
    pair.a.setPathMtu(1420);
    expect(first.transport.mss).toBe(524);
    expect(pair.a.config.mss).toBe(1380);
  });

  it("refuses an MTU with no room for a TCP segment", () => {
    const pair = makePair();
    expect(() => pair.a.setPathMtu(100)).toThrow(/path MTU 100 leaves no room for a 64-byte TCP segment/);
    expect(() => pair.a.setPathMtu(1000.5)).toThrow(RangeError);
  });
});
