import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiErrorBody } from "../../protocol/api.ts";

/** The one error type handlers throw; the error handler turns it into the API's JSON error shape. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ApiErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

export function onError(err: unknown, c: Context): Response {
  if (err instanceof HttpError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  // Only the error's class and its first line: driver errors can quote SQL parameters,
  // and parameters may be secret hashes.
  const name = err instanceof Error ? err.name : typeof err;
  const firstLine = err instanceof Error ? (rootCause(err).message.split("\n")[0] ?? "") : "";
  console.error(`unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}: ${name}: ${firstLine}`);
  return c.json(errorBody("internal", "The platform hit an unexpected error; try again."), 500);
}

function rootCause(err: Error): Error {
  let current = err;
  for (let depth = 0; depth < 5 && current.cause instanceof Error; depth++) current = current.cause;
  return current;
}

export function onNotFound(c: Context): Response {
  return c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`), 404);
}
