import { describe, expect, it } from "vitest";
import { secretKind } from "../protocol/api.ts";
import {
  base64url,
  constantTimeEqual,
  hashSecret,
  newSecret,
  randomToken,
  secretMatches,
} from "./secrets.ts";

describe("secrets", () => {
  it.each(["accessKey", "agentCredential", "psk"] as const)(
    "newSecret(%s) has the documented shape",
    (kind) => {
      const secret = newSecret(kind);
      expect(secretKind(secret)).toBe(kind);
    },
  );

  it("randomToken is 43 base64url characters and not repeated", () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("base64url matches RFC 4648 section 5 without padding", () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe("-__-");
    expect(base64url(new Uint8Array([0x66, 0x6f]))).toBe("Zm8");
  });

  it("hashSecret is lowercase hex SHA-256", async () => {
    expect(await hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it.each([
    ["", "", true],
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["abc", "ab", false],
    ["ab", "abc", false],
    ["", "a", false],
  ])("constantTimeEqual(%j, %j) = %s", (a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
  });

  it("secretMatches compares against the stored hash", async () => {
    const secret = newSecret("psk");
    const stored = await hashSecret(secret);
    expect(await secretMatches(secret, stored)).toBe(true);
    expect(await secretMatches(`${secret}x`, stored)).toBe(false);
    expect(await secretMatches(stored, stored)).toBe(false);
  });
});
