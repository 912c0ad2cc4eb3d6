import { execFileSync } from "node:child_process";
import { x25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFrom } from "./keys.ts";

describe("keys", () => {
  it("generates clamped private keys and round-trips base64", () => {
    const k = generatePrivateKey();
    expect(k).toHaveLength(32);
    expect(k[0]! & 7).toBe(0);
    expect(k[31]! & 0xc0).toBe(0x40);
    expect(keyFromBase64(keyToBase64(k))).toEqual(k);
  });

  it("derives the same public key as wg(8)", () => {
    const priv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    let expected: string;
    try {
      expected = execFileSync("wg", ["pubkey"], { input: priv, encoding: "utf8" }).trim();
    } catch {
      // wg not installed: fall back to the independent noble implementation.
      expected = keyToBase64(x25519.getPublicKey(keyFromBase64(priv)));
    }
    expect(keyToBase64(publicKeyFrom(keyFromBase64(priv)))).toBe(expected);
  });

  it.each([
    "",
    "abc",
    "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBm=",
    "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk==",
  ])("rejects malformed key %j", (s) => {
    expect(() => keyFromBase64(s)).toThrow(/44 characters/);
  });

  it("rejects wrong-length keys", () => {
    expect(() => keyToBase64(new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => publicKeyFrom(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});
