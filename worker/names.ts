import { DNS1123_LABEL, isDns1123Label, MAX_NAME_LENGTH } from "../protocol/cluster-name.ts";

// One definition for the Worker, the CLI and the web UI.
export { DNS1123_LABEL, isDns1123Label, MAX_NAME_LENGTH };

const BASE_LENGTH = 50;
const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The part of a generated name that comes from the display name, without the random suffix. */
export function nameBaseFromDisplayName(displayName: string): string {
  const base = displayName
    // Strip accents so "Café" becomes "cafe" rather than "caf-".
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, BASE_LENGTH)
    .replace(/-+$/, "");
  return base === "" ? "cluster" : base;
}

export function randomSuffix(length = 5): string {
  // 36 does not divide 256, so reject the top bytes to keep every character equally likely.
  const limit = 256 - (256 % SUFFIX_ALPHABET.length);
  let out = "";
  while (out.length < length) {
    const bytes = new Uint8Array(length * 2);
    crypto.getRandomValues(bytes);
    for (const b of bytes) {
      if (b < limit && out.length < length) out += SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length];
    }
  }
  return out;
}

export function generateName(displayName: string): string {
  return `${nameBaseFromDisplayName(displayName)}-${randomSuffix()}`;
}
