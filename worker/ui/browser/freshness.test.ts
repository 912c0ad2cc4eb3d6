import { describe, expect, it } from "vitest";
import { staleAfterMs, stalenessText } from "./freshness.ts";

const T0 = Date.parse("2026-01-02T03:04:05.000Z");

describe("stalenessText", () => {
  it("says nothing while the data is within two refreshes", () => {
    expect(staleAfterMs(2000)).toBe(4000);
    expect(stalenessText(T0, T0, 2000, null)).toBe("");
    expect(stalenessText(T0, T0 + 4000, 2000, "The platform did not answer.")).toBe("");
  });

  it("counts the age in whole seconds once it is older, with the last problem", () => {
    expect(stalenessText(T0, T0 + 4001, 2000, null)).toBe(
      "Data is 4 s old: it is no longer refreshing, so what is shown may not be current.",
    );
    expect(stalenessText(T0, T0 + 63_900, 2000, "The platform did not answer; is it running?")).toBe(
      "Data is 63 s old: it is no longer refreshing, so what is shown may not be current. The platform did not answer; is it running?",
    );
  });

  it("tells a first load that failed from one that is still running", () => {
    expect(stalenessText(null, T0, 2000, null)).toBe("");
    expect(stalenessText(null, T0, 2000, "HTTP 500.")).toBe("Could not load the data. HTTP 500.");
  });
});
