import { describe, expect, it } from "vitest";
import { CUBIC_BETA, CUBIC_C, CubicController, cubicK, cubicWindow } from "./cubic.ts";

const MSS = 1000;

/** Slow start to exactly `segs` segments of window with ssthresh just below, so the next ACK is in CA. */
function atWindow(segs: number): CubicController {
  const c = new CubicController(MSS, segs);
  return c;
}

/** Acknowledges one window's worth of segments, one ACK per segment, spread over `rttMs`. */
function ackOneRtt(c: CubicController, start: number, rttMs: number): void {
  const segs = Math.max(1, Math.floor(c.window / MSS));
  for (let i = 0; i < segs; i++) c.onAck(MSS, start + (i * rttMs) / segs, rttMs);
}

describe("CUBIC (RFC 9438)", () => {
  it("K and W_cubic follow the RFC's equations", () => {
    // §4.2 eq. 2: K = cbrt(W_max (1 - β) / C) when cwnd was cut to β W_max.
    expect(cubicK(100, 70)).toBeCloseTo(Math.cbrt((100 * (1 - CUBIC_BETA)) / CUBIC_C), 12);
    expect(cubicK(100, 70)).toBeCloseTo(4.2172, 4);
    // W_cubic(0) = β W_max, W_cubic(K) = W_max, and it is symmetric about K.
    const k = cubicK(100, 70);
    expect(cubicWindow(0, k, 100)).toBeCloseTo(70, 9);
    expect(cubicWindow(k, k, 100)).toBe(100);
    expect(cubicWindow(k + 1, k, 100) - 100).toBeCloseTo(100 - cubicWindow(k - 1, k, 100), 9);
    expect(cubicWindow(k + 2, k, 100)).toBeCloseTo(100 + CUBIC_C * 8, 9);
  });

  it("a loss cuts the window to β W, sets ssthresh and K", () => {
    const c = atWindow(100);
    c.onLoss(0, 100 * MSS);
    expect(c.window).toBe(70 * MSS);
    expect(c.ssthresh).toBe(70 * MSS);
    expect(c.curve.wMax).toBe(100);
    expect(c.curve.k).toBeCloseTo(cubicK(100, 70), 9);
  });

  it("fast convergence: a second loss below W_max lowers W_max to cwnd (1 + β) / 2", () => {
    const c = atWindow(100);
    c.onLoss(0, 0);
    c.onLoss(10, 0); // cwnd 70 < W_max 100
    expect(c.curve.wMax).toBeCloseTo((70 * (1 + CUBIC_BETA)) / 2, 9);
    expect(c.window).toBe(Math.floor(70 * CUBIC_BETA * MSS));
  });

  it("after a loss the window tracks W_cubic(t + RTT) RTT by RTT, concave then convex (fake clock)", () => {
    // A long RTT keeps CUBIC out of the Reno-friendly region, so the curve alone decides.
    const rtt = 500;
    const c = atWindow(100);
    c.onLoss(0, 100 * MSS);
    const k = c.curve.k;
    const seen: number[] = [];
    for (let r = 0; r < 20; r++) {
      const start = r * rtt;
      ackOneRtt(c, start, rtt);
      // The epoch began at the first ACK (t = 0). Each ACK aims at the curve one RTT after it, so
      // after the round the window lies between the curve one RTT after the round began (less the
      // per-ACK steps) and the curve one RTT after the round's last ACK.
      const low = cubicWindow((start + rtt) / 1000, k, 100);
      const high = cubicWindow((start + 2 * rtt) / 1000, k, 100);
      const got = c.window / MSS;
      seen.push(got);
      expect(got).toBeLessThanOrEqual(Math.max(high, 70) + 0.01);
      expect(got).toBeGreaterThanOrEqual(Math.max(low, 70) - 3);
    }
    // Concave below W_max (increments shrink), plateau near K, convex above (increments grow).
    const steps = seen.slice(1).map((w, i) => w - seen[i]!);
    expect(steps[1]!).toBeGreaterThan(steps[6]!);
    expect(steps[18]!).toBeGreaterThan(steps[10]!);
    expect(seen[Math.round((k * 1000) / rtt) - 1]!).toBeCloseTo(100, -1);
    expect(seen[19]!).toBeGreaterThan(100);
  });

  it("on a short RTT the Reno-friendly estimate wins and grows like Reno with β = 0.7", () => {
    const rtt = 1;
    const c = atWindow(100);
    c.onLoss(0, 100 * MSS);
    const before = c.window;
    for (let r = 0; r < 10; r++) ackOneRtt(c, r * rtt, rtt);
    // α_cubic = 3 (1 - β) / (1 + β) ≈ 0.53 segments per RTT; the cubic curve barely moved in 10 ms.
    const perRtt = (c.window - before) / MSS / 10;
    expect(perRtt).toBeGreaterThan(0.45);
    expect(perRtt).toBeLessThan(0.6);
  });

  it("a timeout restarts from one segment and slow-starts up to ssthresh", () => {
    const c = atWindow(100);
    c.onTimeout(0, 100 * MSS);
    expect(c.window).toBe(MSS);
    expect(c.ssthresh).toBe(70 * MSS);
    c.onAck(4 * MSS, 1, 10);
    expect(c.window).toBe(5 * MSS);
  });

  it("undo restores the window and curve from before a spurious loss", () => {
    const c = atWindow(100);
    c.onLoss(0, 100 * MSS);
    c.undo();
    expect(c.window).toBe(100 * MSS);
    expect(c.ssthresh).toBe(0x7fffffff);
    expect(c.curve.wMax).toBe(0);
    c.undo(); // nothing more to undo
    expect(c.window).toBe(100 * MSS);
  });

  it("keeps the window in bytes across an MSS change", () => {
    const c = atWindow(10);
    c.setMss(500);
    expect(c.window).toBe(10 * MSS);
    c.capTo(4000);
    expect(c.window).toBe(4000);
  });
});
