import { describe, expect, it } from "vitest";
import { ReassemblyQueue } from "./reassembly.ts";

function bytes(from: number, len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => (from + i) & 0xff);
}

function drainAll(q: ReassemblyQueue, rcvNxt: number): { next: number; out: number[] } {
  const out: number[] = [];
  const next = q.drain(rcvNxt, (c) => out.push(...c));
  return { next, out };
}

describe("ReassemblyQueue", () => {
  it("delivers out-of-order fragments once the hole is filled", () => {
    const q = new ReassemblyQueue(8);
    q.insert(110, bytes(110, 10));
    q.insert(105, bytes(105, 5));
    expect(q.bytes).toBe(15);
    expect(drainAll(q, 100)).toEqual({ next: 100, out: [] });
    const { next, out } = drainAll(q, 105);
    expect(next).toBe(120);
    expect(out).toEqual([...bytes(105, 15)]);
    expect(q.isEmpty).toBe(true);
    expect(q.bytes).toBe(0);
  });

  it("stores overlapping and duplicate data only once", () => {
    const q = new ReassemblyQueue(8);
    q.insert(100, bytes(100, 10));
    q.insert(100, bytes(100, 10));
    q.insert(105, bytes(105, 10));
    q.insert(95, bytes(95, 30));
    q.insert(102, bytes(102, 3));
    expect(q.bytes).toBe(30);
    const { next, out } = drainAll(q, 95);
    expect(next).toBe(125);
    expect(out).toEqual([...bytes(95, 30)]);
  });

  it("trims data that starts before rcvNxt when draining", () => {
    const q = new ReassemblyQueue(8);
    q.insert(100, bytes(100, 10));
    expect(drainAll(q, 104)).toEqual({ next: 110, out: [...bytes(104, 6)] });
    q.insert(200, bytes(200, 10));
    expect(drainAll(q, 215)).toEqual({ next: 215, out: [] });
  });

  it("works across sequence wrap", () => {
    const q = new ReassemblyQueue(8);
    q.insert(4, bytes(4, 4));
    q.insert(0xfffffffc, bytes(0, 4));
    q.insert(0, bytes(0, 4));
    const { next, out } = drainAll(q, 0xfffffffc);
    expect(next).toBe(8);
    expect(out.length).toBe(12);
  });

  it("refuses new fragments beyond the cap", () => {
    const q = new ReassemblyQueue(2);
    expect(q.insert(10, bytes(0, 1))).toBe(true);
    expect(q.insert(20, bytes(0, 1))).toBe(true);
    expect(q.insert(30, bytes(0, 1))).toBe(false);
    // Data already held is still accepted as a no-op.
    expect(q.insert(10, bytes(0, 1))).toBe(true);
    expect(q.count).toBe(2);
  });

  it("reports held ranges as SACK blocks, newest arrival first", () => {
    const q = new ReassemblyQueue(8);
    q.insert(200, bytes(0, 10));
    q.insert(210, bytes(0, 10));
    q.insert(300, bytes(0, 10));
    q.insert(400, bytes(0, 10));
    expect(q.sackBlocks(305, 4)).toEqual([300, 310, 200, 220, 400, 410]);
    expect(q.sackBlocks(200, 2)).toEqual([200, 220, 300, 310]);
    expect(new ReassemblyQueue(2).sackBlocks(0, 4)).toEqual([]);
  });

  it("copies inserted data so the caller may reuse its buffer", () => {
    const q = new ReassemblyQueue(2);
    const buf = bytes(0, 4);
    q.insert(10, buf);
    buf.fill(0xee);
    expect(drainAll(q, 10).out).toEqual([0, 1, 2, 3]);
  });
});
