import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import {
  type AccessKey,
  CreateAccessKeyRequest,
  type CreateAccessKeyResponse,
  type ListAccessKeysResponse,
} from "../../protocol/api.ts";
import { accessKeys } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { validatedJson } from "../http/request-body.ts";
import { requireAccessKey } from "../middleware/auth/access-key.ts";
import { hashSecret, newSecret, randomToken } from "../secrets.ts";

type AccessKeyRow = typeof accessKeys.$inferSelect;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

// Deliberately field by field: the hash must never reach a response.
function toJson(row: AccessKeyRow): AccessKey {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
    disabled: row.disabled,
  };
}

export const accessKeyRoutes = new Hono<AppEnv>()
  .use("*", requireAccessKey())
  .post("/", async (c) => {
    const input = validatedJson(c, CreateAccessKeyRequest);
    const key = newSecret("accessKey");
    const now = c.var.now;
    const row: AccessKeyRow = {
      id: `ak_${randomToken(9)}`,
      name: input.name,
      scope: input.scope,
      keyHash: await hashSecret(key),
      createdAt: now,
      expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
      lastUsedAt: null,
      disabled: false,
    };
    await c.var.db.insert(accessKeys).values(row);
    const body: CreateAccessKeyResponse = { accessKey: toJson(row), key };
    return c.json(body, 201);
  })
  .get("/", async (c) => {
    const rows = await c.var.db
      .select()
      .from(accessKeys)
      .orderBy(asc(accessKeys.createdAt), asc(accessKeys.id));
    const body: ListAccessKeysResponse = { items: rows.map(toJson) };
    return c.json(body);
  })
  .delete("/:id", async (c) => {
    const id = c.req.param("id");
    const updated = await c.var.db
      .update(accessKeys)
      .set({ disabled: true })
      .where(eq(accessKeys.id, id))
      .returning({ id: accessKeys.id });
    if (updated.length === 0) throw new HttpError(404, "not_found", `No access key with id "${id}".`);
    return c.body(null, 204);
  });
