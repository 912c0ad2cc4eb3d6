import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../../test/net/tcp/sim-network.ts";
import {
  connectPair,
  decodeTcp,
  FULL_SEGMENT,
  IP_A,
  IP_B,
  makePair,
  Sink,
  sha256,
} from "../../../test/net/tcp/test-harness.ts";
import { TCP_ACK, TCP_SYN } from "./segment.ts";
import { seqAdd } from "./seq.ts";

describe("selective acknowledgements", () => {
  it("is offered in both SYNs and used only when both sides offer it", () => {
    const offered: boolean[] = [];
    const both = makePair();
    both.net.tap = (p) => {
      const { seg } = decodeTcp(p);
      if (seg.flags & TCP_SYN) offered.push(seg.sackPermitted);
      return true;
    };
    connectPair(both);
    expect(offered).toEqual([true, true]);

    offered.length = 0;
    const one = makePair({ configB: { sack: false } });
    one.net.tap = both.net.tap;
    connectPair(one);
    expect(offered).toEqual([true, false]);
  });

  it("reports held out-of-order ranges on duplicate ACKs, newest first", () => {
    const pair = makePair();
    const { client, server } = connectPair(pair);
    new Sink(server);
    const blocks: (readonly number[] | undefined)[] = [];
    let n = 0;
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src === IP_B && seg.flags === TCP_ACK) blocks.push(seg.sackBlocks);
      // Lose the first and third of five segments.
      return !(h.src === IP_A && seg.payload.length > 0 && (n++ === 0 || n === 3));
    };
    const una = client.sequence.sndUna;
    client.write(new Uint8Array(5 * FULL_SEGMENT));
    pair.net.advance(6);
    const at = (k: number) => seqAdd(una, k * FULL_SEGMENT);
    expect(blocks).toEqual([
      [at(1), at(2)],
      [at(3), at(4), at(1), at(2)],
      [at(3), at(5), at(1), at(2)],
    ]);
  });

  /** The first segment is lost `firstLosses` times, the sixth once; returns what else was resent. */
  function loseFirstAndSixth(sack: boolean, firstLosses: number) {
    const pair = makePair({ configA: { sack }, configB: { sack } });
    const { client, server } = connectPair(pair);
    const sink = new Sink(server, false);
    const first = client.sequence.sndNxt;
    const sixth = seqAdd(first, 5 * FULL_SEGMENT);
    let drops = 0;
    let sixthLost = false;
    const seen = new Set<number>();
    const resent = new Set<number>();
    pair.net.tap = (p, h) => {
      const { seg } = decodeTcp(p);
      if (h.src !== IP_A || seg.payload.length === 0) return true;
      if (seg.seq === first && drops < firstLosses) {
        drops++;
        return false;
      }
      // The sixth segment is lost once too: a second hole.
      if (seg.seq === sixth && !sixthLost) {
        sixthLost = true;
        return false;
      }
      // Record only segments that already got through once.
      if (seen.has(seg.seq)) resent.add(seg.seq);
      seen.add(seg.seq);
      return true;
    };
    const data = new SeededRandom(6).bytes(10 * FULL_SEGMENT);
    client.write(data);
    pair.net.runUntil(() => sink.bytes === data.length, 60_000);
    expect(sink.digest()).toBe(sha256(data));
    resent.delete(first);
    return { resent: [...resent].map((x) => (x - first) / FULL_SEGMENT), timeouts: client.stats.timeouts };
  }

  it("finds a lost retransmission by time (RACK) when later data gets through, without a timeout", () => {
    // The fast retransmission of the first segment is lost too; the sixth's retransmission,
    // sent after it, is delivered, so RACK knows the first's is overdue.
    expect(loseFirstAndSixth(true, 2)).toEqual({ resent: [], timeouts: 0 });
    // Without SACK (NewReno) only the timer can recover it.
    expect(loseFirstAndSixth(false, 2).timeouts).toBe(1);
  });

  it("after a timeout resends only what the peer does not hold", () => {
    // Lost three times: the last retransmission has nothing sent after it, so the timer fires.
    // With SACK no segment that got through is ever sent again (the lost sixth goes out once more, as it must).
    expect(loseFirstAndSixth(true, 3)).toEqual({ resent: [], timeouts: 1 });
    // Without it, going back after the timeout repeats segments the peer already had.
    const noSack = loseFirstAndSixth(false, 2);
    expect(noSack.timeouts).toBe(1);
    expect(noSack.resent.length).toBeGreaterThan(0);
  });
});
