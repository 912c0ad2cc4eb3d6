import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, SECRET_PREFIXES, secretKind } from "./api.ts";

const body43 = `${"A".repeat(21)}_-${"z9".repeat(10)}`;

describe("secretKind", () => {
  it.each([
    [`tak_${body43}`, "accessKey"],
    [`tac_${body43}`, "agentCredential"],
    [`tpsk_${body43}`, "psk"],
  ] as const)("recognises %s as %s", (token, kind) => {
    expect(body43).toHaveLength(43);
    expect(secretKind(token)).toBe(kind);
  });

  it.each([
    ["", "empty"],
    ["tak_", "prefix only"],
    [`tak_${body43}A`, "one character too long"],
    [`tak_${body43.slice(1)}`, "one character too short"],
    [`tak_${body43.slice(1)}=`, "padding is not base64url"],
    [`tak_${body43.slice(1)}+`, "standard base64 alphabet"],
    [`TAK_${body43}`, "prefix is case-sensitive"],
    [`xyz_${body43}`, "unknown prefix"],
  ])("rejects %j (%s)", (token) => {
    expect(secretKind(token)).toBeNull();
  });

  it("uses distinct prefixes so one kind never parses as another", () => {
    const prefixes = Object.values(SECRET_PREFIXES);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it("caps bodies at 256 KiB", () => {
    expect(MAX_BODY_BYTES).toBe(262_144);
  });
});
