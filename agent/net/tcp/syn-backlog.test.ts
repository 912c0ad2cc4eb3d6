import { describe, expect, it } from "vitest";
import { SynBacklog } from "./syn-backlog.ts";

const FLOODER = 0x0a000003;
const OTHER = 0x0a000001;
const THIRD = 0x0a000004;

describe("SynBacklog", () => {
  it("admits until full, then lets a smaller holder evict the largest holder's oldest entry", () => {
    const b = new SynBacklog<string>(3);
    for (const name of ["f1", "f2", "f3"]) {
      expect(b.admit(FLOODER)).toEqual({ kind: "admit" });
      b.add(FLOODER, name);
    }
    // The flooder itself cannot push anyone out.
    expect(b.admit(FLOODER)).toEqual({ kind: "refuse" });
    expect(b.admit(OTHER)).toEqual({ kind: "evict", victim: "f1" });
    expect(b.remove(FLOODER, "f1")).toBe(true);
    b.add(OTHER, "o1");
    expect(b.admit(THIRD)).toEqual({ kind: "evict", victim: "f2" });
    expect(b.remove(FLOODER, "f2")).toBe(true);
    b.add(THIRD, "t1");
    // Now one each: nobody gains by evicting.
    expect(b.admit(OTHER)).toEqual({ kind: "refuse" });
    expect(b.size).toBe(3);
  });

  it("frees slots on remove and reports entries it does not hold", () => {
    const b = new SynBacklog<number>(2);
    b.add(OTHER, 1);
    expect(b.remove(OTHER, 2)).toBe(false);
    expect(b.remove(FLOODER, 1)).toBe(false);
    expect(b.remove(OTHER, 1)).toBe(true);
    expect(b.size).toBe(0);
  });

  it("refuses a bad capacity and an add past capacity", () => {
    expect(() => new SynBacklog(0)).toThrow("syn backlog capacity must be a positive integer, got 0");
    const b = new SynBacklog<number>(1);
    b.add(OTHER, 1);
    expect(() => b.add(THIRD, 2)).toThrow("syn backlog is full: admit() first");
  });
});
