import { describe, expect, it } from "vitest";
import { karnSampleSentAt, type SentSegment, SentSegments } from "./sent-segments.ts";

function record(): SentSegments {
  const s = new SentSegments();
  // Four 100-byte segments sent at t = 0, 1, 2, 3.
  for (let i = 0; i < 4; i++) s.sent(1000 + i * 100, 1100 + i * 100, i);
  return s;
}

describe("the sender's segment record", () => {
  it("marks a segment lost only once a later-sent one is delivered and RTT + reorder window have passed", () => {
    const s = record();
    const out: SentSegment[] = [];
    s.sackRange(1200, 1300, out); // the third segment (sent at t = 2) arrives
    const d = s.deliver(out, undefined, 12);
    expect(d.latest?.start).toBe(1200);
    expect(d.sackedBytes).toBe(100);
    // RACK.rtt = 10 ms; reorder window 4 ms: the first two expire at 14 and 15.
    let next = s.detectLosses(2, 1300, 10, 4, 12);
    expect(s.newlyLost).toBe(0);
    expect(next).toBe(14);
    next = s.detectLosses(2, 1300, 10, 4, 14);
    expect(s.newlyLost).toBe(1);
    expect(next).toBe(15);
    expect(s.firstLost()?.start).toBe(1000);
    // The fourth was sent after the delivered one: never lost by this rule.
    s.detectLosses(2, 1300, 10, 4, 100);
    expect(s.newlyLost).toBe(1);
    expect(s.pipe()).toBe(100); // only the fourth is thought to be in the network
    expect(s.lostBytes()).toBe(200);
  });

  it("a retransmission clears the lost mark, restarts the clock and counts in the pipe again", () => {
    const s = record();
    const out: SentSegment[] = [];
    s.sackRange(1300, 1400, out);
    s.deliver(out, undefined, 10);
    s.detectLosses(3, 1400, 7, 0, 10);
    expect(s.lostBytes()).toBe(300);
    s.resent(1000, 1100, 11);
    expect(s.firstLost()?.start).toBe(1100);
    expect(s.pipe()).toBe(100);
  });

  it("splits ranges a SACK or ACK covers only in part, and reports reordering", () => {
    const s = record();
    const out: SentSegment[] = [];
    s.sackRange(1250, 1300, out);
    expect(s.length).toBe(5);
    s.deliver(out, undefined, 5);
    out.length = 0;
    s.acked(1050, out);
    expect(out.map((x) => [x.start, x.end])).toEqual([[1000, 1050]]);
    // Delivered below the highest delivered end, never retransmitted: reordering.
    expect(s.deliver(out, undefined, 6).reordered).toBe(true);
  });

  it("ignores a retransmission delivered faster than the minimum RTT (the original arrived)", () => {
    const s = record();
    s.resent(1000, 1100, 20);
    const out: SentSegment[] = [];
    s.acked(1100, out);
    expect(s.deliver(out, 10, 22).latest).toBeUndefined();
  });

  it("after a timeout everything not SACKed is lost; a second one forgets the SACKs too", () => {
    const s = record();
    s.sackRange(1100, 1200, []);
    s.markAllLost(false);
    expect(s.lostBytes()).toBe(300);
    s.markAllLost(true);
    expect(s.lostBytes()).toBe(400);
  });

  it("splits to a smaller MSS", () => {
    const s = record();
    s.splitTo(40);
    expect(s.length).toBe(12);
    expect(s.pipe()).toBe(400);
  });
});

describe("the record's running pipe and lost counts", () => {
  it("match a recount after any mix of sends, resends, SACKs, ACKs, losses and timeouts", () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const s = new SentSegments();
      const segs: SentSegment[] = (s as unknown as { s: SentSegment[] }).s;
      let top = 5000;
      let una = 5000;
      for (let step = 0; step < 200; step++) {
        const op = rnd(7);
        if (op <= 1) {
          s.sent(top, top + 100, step);
          top += 100;
        } else if (op === 2 && top > una) {
          const a = una + rnd(top - una);
          s.resent(a, Math.min(a + 100, top), step);
        } else if (op === 3 && top > una) {
          const a = una + rnd(top - una);
          s.sackRange(a, Math.min(a + 1 + rnd(300), top), []);
        } else if (op === 4 && top > una) {
          una += rnd(top - una + 1);
          s.acked(una, []);
        } else if (op === 5) {
          s.detectLosses(step - rnd(5), top, rnd(3), 0, step);
        } else if (rnd(10) === 0) {
          s.markAllLost(rnd(2) === 0);
        }
        let pipe = 0;
        let lost = 0;
        for (const g of segs) {
          if (g.lost) lost += g.end - g.start;
          else if (!g.sacked) pipe += g.end - g.start;
        }
        expect([s.pipe(), s.lostBytes()]).toEqual([pipe, lost]);
      }
    }
  });
});

describe("RTT samples per segment (Karn's rule)", () => {
  const seg = (start: number, sentAt: number, retransmitted: boolean, sacked: boolean): SentSegment => ({
    start,
    end: start + 100,
    sentAt,
    retransmitted,
    sacked,
    lost: false,
  });

  it("times the newest segment a cumulative ACK delivers, when all of them were sent once", () => {
    expect(karnSampleSentAt([seg(1000, 3, false, false), seg(1100, 5, false, false)], 0)).toBe(5);
  });

  it("takes no sample from retransmissions alone", () => {
    expect(karnSampleSentAt([seg(1000, 3, true, false)], 0)).toBeUndefined();
    expect(karnSampleSentAt([seg(1200, 3, true, true)], 1)).toBeUndefined();
  });

  it("ignores segments a retransmission may have released, but still times the triggering SACK block", () => {
    // The ACK covers a resent hole (sent at 9) and an older segment held behind it (sent at 4).
    const cumulative = [seg(1000, 9, true, false), seg(1100, 4, false, false)];
    expect(karnSampleSentAt(cumulative, 0)).toBeUndefined();
    // The same ACK's first SACK block newly covers a segment sent once at 8: that one times it.
    expect(karnSampleSentAt([seg(1300, 8, false, true), ...cumulative], 1)).toBe(8);
  });

  it("does not time segments that only a later SACK block reports (old news a lost ACK carried)", () => {
    // The first block newly covers a segment sent at 4; a later block one sent at 8.
    const d = [seg(1300, 4, false, true), seg(1500, 8, false, true)];
    expect(karnSampleSentAt(d, 1)).toBe(4);
    expect(karnSampleSentAt(d, 0)).toBeUndefined();
  });
});
