import { describe, expect, it } from "vitest";
import { hex, loadVector, toHex } from "../../test/wireguard/vectors.ts";
import { createNobleBackend } from "./crypto/noble.ts";
import { createNodeCryptoBackend } from "./crypto/node-crypto.ts";
import { kdf1, kdf2, kdf3 } from "./kdf.ts";

interface KdfCase {
  key: string;
  input: string;
  t0: string;
  t1: string;
  t2: string;
}
const { cases } = loadVector("wireguard-kdf.json") as { cases: KdfCase[] };

describe.each([createNodeCryptoBackend(), createNobleBackend()])("KDF over $name", (crypto) => {
  it("has vectors to check", () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases)("matches wireguard-go for key=$key input=$input", (c) => {
    const key = hex(c.key);
    const input = hex(c.input);
    expect(toHex(kdf1(crypto, key, input))).toBe(c.t0);
    expect(kdf2(crypto, key, input).map(toHex)).toEqual([c.t0, c.t1]);
    expect(kdf3(crypto, key, input).map(toHex)).toEqual([c.t0, c.t1, c.t2]);
  });
});
