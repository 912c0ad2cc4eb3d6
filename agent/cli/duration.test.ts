import { describe, expect, it } from "vitest";
import { parseDurationSeconds } from "./duration.ts";

describe("parseDurationSeconds", () => {
  it.each([
    ["90s", 90],
    ["45m", 2700],
    ["12h", 43_200],
    ["30d", 2_592_000],
    ["2w", 1_209_600],
  ])("%s is %d seconds", (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(["", "30", "d", "0d", "-1d", "1.5h", "30 days", "1y", "9999999999d"])("refuses %j", (text) => {
    expect(parseDurationSeconds(text)).toBeNull();
  });
});
