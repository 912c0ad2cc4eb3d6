import { describe, expect, it } from "vitest";
import { helmMerge, isValuesMap, type ValuesMap } from "./helm-merge.ts";

describe("helmMerge", () => {
  it.each<[string, ValuesMap, ValuesMap, ValuesMap]>([
    ["empty overlay keeps base", { a: 1 }, {}, { a: 1 }],
    ["empty base takes overlay", {}, { a: 1 }, { a: 1 }],
    ["later scalar wins", { a: 1, b: 2 }, { a: 3 }, { a: 3, b: 2 }],
    [
      "maps merge deeply",
      { a: { b: 1, c: { d: 2, e: 3 } } },
      { a: { c: { e: 4, f: 5 } } },
      { a: { b: 1, c: { d: 2, e: 4, f: 5 } } },
    ],
    [
      "lists are replaced whole",
      { l: [1, 2, 3], m: [{ x: 1 }] },
      { l: [9], m: [{ y: 2 }] },
      { l: [9], m: [{ y: 2 }] },
    ],
    ["null deletes a key", { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ["null deletes a nested key", { a: { b: 1, c: 2 } }, { a: { b: null } }, { a: { c: 2 } }],
    ["null deletes a whole map", { a: { b: 1 }, z: 0 }, { a: null }, { z: 0 }],
    [
      "null for an absent key leaves nothing behind",
      { a: 1 },
      { b: null, c: { d: null, e: 1 } },
      { a: 1, c: { e: 1 } },
    ],
    ["map replaces scalar", { a: 1 }, { a: { b: 1 } }, { a: { b: 1 } }],
    ["scalar replaces map", { a: { b: 1 } }, { a: "x" }, { a: "x" }],
    ["list replaces map", { a: { b: 1 } }, { a: [1] }, { a: [1] }],
    [
      "false and 0 and empty string are values, not deletions",
      { a: 1, b: 1, c: 1 },
      { a: false, b: 0, c: "" },
      { a: false, b: 0, c: "" },
    ],
  ])("%s", (_name, base, overlay, expected) => {
    expect(helmMerge(base, overlay)).toEqual(expected);
  });

  it("does not modify its inputs", () => {
    const base = { a: { b: [1, 2] }, c: 1 };
    const overlay = { a: { b: [3], d: null }, c: null };
    const baseCopy = structuredClone(base);
    const overlayCopy = structuredClone(overlay);
    const out = helmMerge(base, overlay);
    (out.a as { b: number[] }).b.push(99);
    expect(base).toEqual(baseCopy);
    expect(overlay).toEqual(overlayCopy);
  });

  it("layers like repeated --values files (associative for maps)", () => {
    const a = { x: { y: 1, z: 1 }, l: [1] };
    const b = { x: { y: 2 }, l: [2] };
    const c = { x: { z: 3 } };
    expect(helmMerge(helmMerge(a, b), c)).toEqual(helmMerge(a, helmMerge(b, c)));
  });

  it("treats a __proto__ key from user data as data, never as the prototype", () => {
    const overlay = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as ValuesMap;
    const out = helmMerge({}, overlay);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out.a).toBe(1);
  });
});

describe("isValuesMap", () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [Object.create(null), true],
    [[], false],
    [null, false],
    ["a", false],
    [1, false],
    [new Date(0), false],
  ])("%j -> %s", (value, expected) => {
    expect(isValuesMap(value)).toBe(expected);
  });
});
