import { describe, expect, it } from "vitest";
import { generateName, isDns1123Label, nameBaseFromDisplayName, randomSuffix } from "./names.ts";

describe("nameBaseFromDisplayName", () => {
  it.each([
    ["Staging", "staging"],
    ["My  Production Cluster!", "my-production-cluster"],
    ["  --Edge__EU-West 1--  ", "edge-eu-west-1"],
    ["Café Zürich", "cafe-zurich"],
    ["日本", "cluster"],
    ["!!!", "cluster"],
    ["a".repeat(80), "a".repeat(50)],
    // The cut at 50 lands right after a separator, which must not survive as a trailing '-'.
    [`${"a".repeat(49)} b`, "a".repeat(49)],
  ])("%j -> %j", (displayName, expected) => {
    expect(nameBaseFromDisplayName(displayName)).toBe(expected);
  });
});

describe("generateName", () => {
  it("appends '-' and five [a-z0-9] characters and stays a DNS-1123 label", () => {
    for (const displayName of ["Staging", "x".repeat(128), "###", "Ünïcödé Clüster 42"]) {
      const name = generateName(displayName);
      expect(name).toMatch(/^[a-z0-9-]+-[a-z0-9]{5}$/);
      expect(isDns1123Label(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(56);
    }
  });

  it("varies the suffix", () => {
    const names = new Set(Array.from({ length: 50 }, () => generateName("Staging")));
    expect(names.size).toBeGreaterThan(45);
  });

  it("draws suffix characters only from the alphabet, across many draws", () => {
    const seen = new Set(randomSuffix(2000));
    expect([...seen].every((ch) => /[a-z0-9]/.test(ch))).toBe(true);
    expect(seen.size).toBe(36);
  });
});

describe("isDns1123Label", () => {
  it.each(["a", "staging", "a-b", "0", "x".repeat(63), "abc-123"])("accepts %j", (name) => {
    expect(isDns1123Label(name)).toBe(true);
  });
  it.each(["", "-a", "a-", "A", "a_b", "a.b", "x".repeat(64), "../etc", "a b", "ä"])("rejects %j", (name) => {
    expect(isDns1123Label(name)).toBe(false);
  });
});
