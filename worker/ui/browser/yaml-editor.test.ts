import { describe, expect, it } from "vitest";
import { offsetOf, valuesIssues } from "./yaml-editor.ts";

const TEXT = "a: 1\nbb: [2\nc: 3";

describe("offsetOf", () => {
  it.each([
    [1, 1, 0],
    [1, 4, 3],
    [2, 1, 5],
    [2, 5, 9],
    [3, 3, 14],
    // Columns past the end of a line stop at its newline; lines past the end stop at the text's end.
    [1, 99, 4],
    [3, 99, TEXT.length],
    [9, 1, TEXT.length],
  ])("line %d, column %d -> %d", (line, column, expected) => {
    expect(offsetOf(TEXT, line, column)).toBe(expected);
  });
});

describe("valuesIssues", () => {
  it("reads the issues of a 422 invalid_values answer", () => {
    const details = {
      issues: [
        { path: "relay.mode", message: "must be one of auto, always, never" },
        { path: "mtu", message: "must be integer" },
      ],
    };
    expect(valuesIssues(details)).toEqual(details.issues);
  });

  it.each([
    [{}],
    [{ issues: [] }],
    [{ issues: "relay.mode" }],
    [{ issues: [{ path: "mtu" }] }],
    [{ issues: [null] }],
    [{ line: 2, column: 3 }],
  ])("is null for details without well-formed issues: %j", (details) => {
    expect(valuesIssues(details)).toBeNull();
  });
});
