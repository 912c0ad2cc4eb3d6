import { describe, expect, it } from "vitest";
import { createCongestionController } from "./create.ts";

const MSS = 1000;

describe("Reno (RFC 5681)", () => {
  it("slow start adds the acknowledged bytes, up to 16 segments per ACK", () => {
    const c = createCongestionController("reno", MSS, 10);
    expect(c.window).toBe(10 * MSS);
    c.onAck(2 * MSS, 0, 10);
    expect(c.window).toBe(12 * MSS);
    c.onAck(40 * MSS, 0, 10);
    expect(c.window).toBe(28 * MSS);
  });

  it("halves on loss, one segment per window in congestion avoidance, one segment after a timeout", () => {
    const c = createCongestionController("reno", MSS, 10);
    c.onLoss(0, 20 * MSS);
    expect(c.ssthresh).toBe(10 * MSS);
    expect(c.window).toBe(10 * MSS);
    for (let i = 0; i < 10; i++) c.onAck(MSS, i, 10);
    expect(c.window).toBe(11 * MSS);
    c.onTimeout(0, 4 * MSS);
    expect(c.window).toBe(MSS);
    expect(c.ssthresh).toBe(2 * MSS);
  });

  it("undo restores the state from before a spurious loss", () => {
    const c = createCongestionController("reno", MSS, 10);
    c.onLoss(0, 10 * MSS);
    expect(c.window).toBe(5 * MSS);
    c.undo();
    expect(c.window).toBe(10 * MSS);
    expect(c.ssthresh).toBe(0x7fffffff);
  });

  it("the default controller is CUBIC", () => {
    expect(createCongestionController("cubic", MSS, 10).name).toBe("cubic");
  });
});
