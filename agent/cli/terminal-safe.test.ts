import { describe, expect, it } from "vitest";
import { terminalSafe } from "./terminal-safe.ts";

describe("terminalSafe", () => {
  it("keeps ordinary text, newlines, tabs and non-ASCII letters", () => {
    const text = "NAME\tDISPLAY NAME\nstaging\tStaging EU — Zürich 東京\n";
    expect(terminalSafe(text)).toBe(text);
  });

  it.each([
    ["ESC (CSI clear screen)", "a\u001b[2Jb", "a\\u001b[2Jb"],
    ["OSC window title with BEL", "\u001b]0;pwned\u0007", "\\u001b]0;pwned\\u0007"],
    ["carriage return (overwrite the line)", "ok\rFAILED", "ok\\u000dFAILED"],
    ["one-byte C1 CSI", "x\u009b31my", "x\\u009b31my"],
    ["DEL and NUL", "\u007f\u0000", "\\u007f\\u0000"],
  ])("escapes %s", (_name, input, expected) => {
    expect(terminalSafe(input)).toBe(expected);
  });

  it("leaves JSON output valid and equal in meaning", () => {
    const value = { version: "1.0\u009b2J", peers: [{ cluster: "a\u001b[31m" }] };
    const safe = terminalSafe(`${JSON.stringify(value, null, 2)}\n`);
    expect(safe).not.toContain("\u001b");
    expect(safe).not.toContain("\u009b");
    expect(terminalSafe(safe)).toBe(safe);
    expect(JSON.parse(safe)).toEqual(value);
  });
});
