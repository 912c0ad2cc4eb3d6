import { HttpError } from "../http/errors.ts";
import { isDns1123Label } from "../names.ts";
import { base64url } from "../secrets.ts";

/** Opaque to clients; it is the last name of the previous page, since clusters are ordered by name. */
export function encodeCursor(lastName: string): string {
  return base64url(new TextEncoder().encode(lastName));
}

export function decodeCursor(cursor: string): string {
  const invalid = new HttpError(400, "invalid_cursor", "The cursor is not one this API returned.");
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let name: string;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    name = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
  } catch {
    throw invalid;
  }
  if (!isDns1123Label(name)) throw invalid;
  return name;
}
