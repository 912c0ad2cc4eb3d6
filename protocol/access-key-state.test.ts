import { describe, expect, it } from "vitest";
import { accessKeyState } from "./access-key-state.ts";
import type { AccessKey } from "./api/access-keys.ts";

const T0 = Date.parse("2026-12-01T00:00:00Z");
const key = (over: Partial<AccessKey>): AccessKey =>
  ({ disabled: false, expiresAt: null, ...over }) as AccessKey;

describe("accessKeyState", () => {
  it("is active without an expiry, or before it; expired from the expiry on; revoked whatever the expiry", () => {
    expect(accessKeyState(key({}), T0)).toBe("active");
    expect(accessKeyState(key({ expiresAt: "2026-12-01T00:00:01.000Z" }), T0)).toBe("active");
    expect(accessKeyState(key({ expiresAt: "2026-12-01T00:00:00.000Z" }), T0)).toBe("expired");
    expect(accessKeyState(key({ disabled: true, expiresAt: "2026-11-01T00:00:00.000Z" }), T0)).toBe(
      "revoked",
    );
  });
});
