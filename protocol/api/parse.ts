import type { z } from "zod";
import { ApiErrorBody } from "./errors.ts";

/** A platform answer that does not have the shape its route promises. */
export class ResponseShapeError extends Error {
  constructor(
    readonly what: string,
    readonly path: string,
    readonly issue: string,
  ) {
    super(`The platform's ${what} is not what this client expects${path ? ` at "${path}"` : ""}: ${issue}.`);
    this.name = "ResponseShapeError";
  }
}

/**
 * Checks a parsed JSON answer against its schema (for example `parseResponse(RegisterResponse, json,
 * "register response")`) and returns it typed; throws ResponseShapeError naming the first bad field.
 */
export function parseResponse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw new ResponseShapeError(what, first?.path.map(String).join(".") ?? "", first?.message ?? "invalid");
}

/** The error envelope of a non-2xx answer, or null when the body is not one (a proxy's HTML page, say). */
export function parseApiError(body: unknown): ApiErrorBody["error"] | null {
  const result = ApiErrorBody.safeParse(body);
  return result.success ? result.data.error : null;
}
