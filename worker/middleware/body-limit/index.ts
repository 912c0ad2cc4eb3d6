import type { MiddlewareHandler } from "hono";
import { MAX_BODY_BYTES } from "../../../protocol/api.ts";
import type { AppEnv } from "../../env.ts";
import { HttpError } from "../../http/errors.ts";

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "body_too_large",
    `The request body is larger than the ${limit / 1024} KiB limit.`,
    { limitBytes: limit },
  );
}

/**
 * Reads the whole body once, under `limit` bytes, into c.var.body.
 * Content-Length is checked first so honest oversized uploads fail before any read,
 * and the running count catches chunked bodies and lying Content-Length headers.
 */
export function bodyLimit(limit: number = MAX_BODY_BYTES): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined) {
      if (!/^\d+$/.test(declared.trim())) {
        throw new HttpError(400, "bad_request", "The Content-Length header is not a number.");
      }
      if (Number(declared) > limit) throw tooLarge(limit);
    }
    c.set("body", await readCapped(c.req.raw.body, limit));
    await next();
  };
}

async function readCapped(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
