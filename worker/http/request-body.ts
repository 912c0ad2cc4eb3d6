import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../env.ts";
import { HttpError } from "./errors.ts";

export type BodyFormat = "json" | "yaml";

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const YAML_TYPES = new Set([
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "text/x-yaml",
  "text/plain",
]);

function mediaType(c: Context<AppEnv>): string | undefined {
  return c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
}

function unsupported(type: string, expected: string): HttpError {
  return new HttpError(
    400,
    "unsupported_media_type",
    `Content-Type ${type} is not accepted here; send ${expected}.`,
  );
}

/** The body as text; rejects bytes that are not UTF-8 instead of silently replacing them. */
export function bodyText(c: Context<AppEnv>): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(c.var.body);
  } catch {
    throw new HttpError(400, "invalid_encoding", "The request body is not valid UTF-8.");
  }
}

/**
 * The JSON body, as parsed JS. A missing Content-Type and text/plain (what fetch
 * sends for a string body by default) are tolerated; anything else is refused.
 */
export function jsonBody(c: Context<AppEnv>): unknown {
  const type = mediaType(c);
  if (type !== undefined && type !== "text/plain" && !JSON_TYPES.test(type)) {
    throw unsupported(type, "application/json");
  }
  const text = bodyText(c);
  if (text.trim() === "") throw new HttpError(400, "missing_body", "A JSON request body is required.");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "malformed_json", "The request body is not valid JSON.");
  }
}

/** Parses and validates a JSON body; schema failures become 400 with each issue's path. */
export function validatedJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  const result = schema.safeParse(jsonBody(c));
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const first = issues[0];
  const where = first && first.path !== "" ? ` at "${first.path}"` : "";
  throw new HttpError(
    400,
    "invalid_request",
    `Invalid request body${where}: ${first?.message ?? "invalid"}.`,
    {
      issues,
    },
  );
}

/** Bodies that may be YAML or JSON (the config endpoints). No Content-Type means YAML. */
export function yamlOrJsonFormat(c: Context<AppEnv>): BodyFormat {
  const type = mediaType(c);
  if (type === undefined || YAML_TYPES.has(type)) return "yaml";
  if (JSON_TYPES.test(type)) return "json";
  throw unsupported(type, "application/yaml or application/json");
}
