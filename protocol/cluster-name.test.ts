import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clusterNameProblem, isDns1123Label } from "./cluster-name.ts";

describe("clusterNameProblem", () => {
  it.each([
    ["staging", null],
    ["a", null],
    ["0", null],
    ["edge-eu-west-1", null],
    ["a".repeat(63), null],
    ["", "Enter a name, or leave the field empty to have one generated."],
    ["a".repeat(64), "At most 63 characters (this is 64)."],
    ["Staging", "Use lowercase letters only."],
    ["my_cluster", `"_" is not allowed: use lowercase letters, digits and '-'.`],
    ["my cluster", `" " is not allowed: use lowercase letters, digits and '-'.`],
    ["café", `"é" is not allowed: use lowercase letters, digits and '-'.`],
    ["-edge", "Start with a lowercase letter or a digit."],
    ["edge-", "End with a lowercase letter or a digit."],
  ])("%j -> %j", (name, expected) => {
    expect(clusterNameProblem(name)).toBe(expected);
  });

  it("finds no problem exactly when the name is a DNS-1123 label", () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,70}$/);
    fc.assert(
      fc.property(fc.oneof(label, fc.string({ maxLength: 70 })), (name) => {
        expect(clusterNameProblem(name) === null).toBe(isDns1123Label(name));
      }),
    );
  });
});
