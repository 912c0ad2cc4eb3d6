import type { AccessKey } from "./api/access-keys.ts";

/** What the CLI's key list and the web UI's Access keys page show for a key. */
export type AccessKeyState = "active" | "revoked" | "expired";

/** A revoked key stays revoked; otherwise it is expired once its expiry has passed. */
export function accessKeyState(key: AccessKey, now: number): AccessKeyState {
  if (key.disabled) return "revoked";
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now) return "expired";
  return "active";
}
