import { SECRET_PREFIXES, type SecretKind } from "../protocol/api.ts";

/** 32 random bytes as unpadded base64url (43 characters). */
export function randomToken(bytes = 32): string {
  const raw = new Uint8Array(bytes);
  crypto.getRandomValues(raw);
  return base64url(raw);
}

export function newSecret(kind: SecretKind): string {
  return SECRET_PREFIXES[kind] + randomToken(32);
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** SHA-256 as lowercase hex: the only form in which secrets are stored. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal
 * how long a matching prefix is. Callers compare hashes, which have a fixed length.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  const n = Math.max(ea.length, eb.length);
  for (let i = 0; i < n; i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/** Hashes both sides first so the comparison runs over equal-length digests whatever the inputs. */
export async function secretMatches(presented: string, storedHash: string): Promise<boolean> {
  return constantTimeEqual(await hashSecret(presented), storedHash);
}
