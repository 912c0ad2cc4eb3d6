import { z } from "zod";
import { API_VERSION } from "./constants.ts";

/** GET /version */
export const VersionResponse = z.object({
  version: z.string(),
  api: z.literal(API_VERSION),
});
export type VersionResponse = z.infer<typeof VersionResponse>;

/** GET /healthz (503 when the database does not answer). */
export const HealthResponse = z.object({
  ok: z.boolean(),
  db: z.enum(["ok", "error"]),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
