import { describe, expect, it } from "vitest";
import { createRandomPool } from "./random-pool.ts";

describe("createRandomPool", () => {
  it("hands out independent arrays of the requested size, across batch refills", () => {
    const random = createRandomPool();
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const b = random(32);
      expect(b).toHaveLength(32);
      expect(b.byteOffset).toBe(0);
      seen.add(Buffer.from(b).toString("hex"));
    }
    expect(seen.size).toBe(400);
    expect(random(5000)).toHaveLength(5000);
  });

  it("erasing a handed-out array does not disturb later draws", () => {
    const random = createRandomPool();
    random(32).fill(0);
    expect(random(32).some((x) => x !== 0)).toBe(true);
  });
});
