import type { Context } from "hono";
import { HttpError } from "../../http/errors.ts";

/** The token from `Authorization: Bearer <token>`, undefined when the header is absent. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new HttpError(401, "invalid_credential", "The Authorization header must be 'Bearer <token>'.");
  }
  return match[1];
}
