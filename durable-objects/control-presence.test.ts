import { describe, expect, it } from "vitest";
import { PRESENCE_WINDOW_MS } from "../protocol/control.ts";
import { isSilent, lastSignOfLife } from "./control-presence.ts";

describe("control presence", () => {
  it("takes the later of the connect time and the last auto-response", () => {
    expect(lastSignOfLife(1_000, null)).toBe(1_000);
    expect(lastSignOfLife(1_000, new Date(5_000))).toBe(5_000);
    expect(lastSignOfLife(9_000, new Date(5_000))).toBe(9_000);
  });

  it("is silent only past the presence window", () => {
    expect(isSilent(0, PRESENCE_WINDOW_MS)).toBe(false);
    expect(isSilent(0, PRESENCE_WINDOW_MS + 1)).toBe(true);
    expect(isSilent(0, 3_001, 3_000)).toBe(true);
  });
});
