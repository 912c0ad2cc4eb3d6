import { describe, expect, it } from "vitest";
import { HttpError } from "../http/errors.ts";
import { parseYamlMap, parseYamlMapOr422, toYaml } from "./parse-yaml.ts";

describe("parseYamlMap", () => {
  it.each([
    ["a: 1\nb:\n  c: [1, 2]\n", { a: 1, b: { c: [1, 2] } }],
    ["", {}],
    ["# only a comment\n", {}],
    ["{}", {}],
    ['{"json": "is yaml"}', { json: "is yaml" }],
    ["a: null\n", { a: null }],
  ])("parses %j", (text, expected) => {
    expect(parseYamlMap(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["a: [1, 2\n", 2, 1],
    ["a: 1\nb: : c\n", 2, 4],
    ["a:\n  b: 1\n c: 2\n", 3, 1],
    ["a: 1\na: 2\n", 2, 1],
  ])("reports line and column for invalid YAML %j", (text, line, column) => {
    const result = parseYamlMap(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.line).toBe(line);
      expect(result.problem.column).toBe(column);
      expect(result.problem.message).not.toBe("");
    }
  });

  it.each([
    ["- a\n- b\n", 1, 1],
    ["just a string", 1, 1],
    ["# header\n42\n", 2, 1],
  ])("rejects a non-map document %j", (text, line, column) => {
    expect(parseYamlMap(text)).toEqual({
      ok: false,
      problem: { message: "The document must be a map of keys to values.", line, column },
    });
  });

  it("rejects alias bombs instead of expanding them", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 9; i++)
      lines.push(
        `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [*${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}, *${"abcdefghi"[i]}]`,
      );
    const result = parseYamlMap(lines.join("\n"));
    expect(result.ok).toBe(false);
  });
});

describe("parseYamlMapOr422", () => {
  it("throws a 422 HttpError whose details carry line and column", () => {
    try {
      parseYamlMapOr422("a: [1\n", "The thing");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      const e = err as HttpError;
      expect(e.status).toBe(422);
      expect(e.code).toBe("invalid_yaml");
      expect(e.message).toMatch(/^The thing is not a valid YAML map \(line 2, column 1\)/);
      expect(e.details).toEqual({ line: 2, column: 1 });
    }
  });
});

describe("toYaml", () => {
  it("writes the empty map as {}", () => {
    expect(toYaml({})).toBe("{}\n");
  });
  it("round-trips through parseYamlMap", () => {
    const values = { a: { b: [1, "two", { c: true }] }, "needs: quoting": "yes: really", n: null };
    expect(parseYamlMap(toYaml(values))).toEqual({ ok: true, value: values });
  });
});

describe("parseYamlMap bounds", () => {
  it("refuses an anchored list repeated by aliases past the expanded-size limit, naming the limit", () => {
    // 20,000 items once (about 60 KB of text), then 99 aliases: 14 MB once expanded.
    const items = Array.from({ length: 20_000 }, (_, i) => i % 10).join(",");
    const aliases = Array.from({ length: 99 }, (_, i) => `k${i}: *big`).join("\n");
    const text = `big: &big [${items}]\n${aliases}\n`;
    expect(text.length).toBeLessThan(64 * 1024);
    const result = parseYamlMap(text);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problem.message).toBe(
        "values expand to more than 256 KiB (anchors and aliases included)",
      );
  });

  it("accepts aliases that stay within the limit", () => {
    expect(parseYamlMap("base: &b {a: 1, b: [1, 2]}\nx: *b\ny: *b\n")).toEqual({
      ok: true,
      value: { base: { a: 1, b: [1, 2] }, x: { a: 1, b: [1, 2] }, y: { a: 1, b: [1, 2] } },
    });
  });

  it("refuses nesting deeper than 64 levels with a clear message, not a stack overflow", () => {
    const deep = `${"[".repeat(2000)}${"]".repeat(2000)}`;
    const result = parseYamlMap(`a: ${deep}\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.message).toBe("values nest deeper than 64 levels");
      expect(result.problem.line).toBe(1);
    }
  });

  it("accepts 63 levels of nesting below the top map", () => {
    const result = parseYamlMap(`a: ${"[".repeat(63)}${"]".repeat(63)}\n`);
    expect(result.ok).toBe(true);
  });

  it("counts depth through aliases", () => {
    const inner = `${"[".repeat(40)}1${"]".repeat(40)}`;
    const text = `a: &x ${inner}\nb: ${"[".repeat(40)}*x${"]".repeat(40)}\n`;
    const result = parseYamlMap(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.message).toBe("values nest deeper than 64 levels");
  });
});
