import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import {
  CreateAccessKeyRequest,
  type CreateAccessKeyResponse,
  type ListAccessKeysResponse,
} from "../../protocol/api.ts";
import { insertBoundKey, newAccessKey, accessKeyJson as toJson } from "../access-keys/rows.ts";
import { accessKeys } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { validatedJson } from "../http/request-body.ts";
import { requireAccessKey } from "../middleware/auth/access-key.ts";

export const accessKeyRoutes = new Hono<AppEnv>()
  .use("*", requireAccessKey())
  .post("/", async (c) => {
    const input = validatedJson(c, CreateAccessKeyRequest);
    const cluster = input.cluster ?? null;
    const now = c.var.now;
    const { row, key } = await newAccessKey(
      {
        name: input.name,
        scope: input.scope,
        cluster,
        expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
      },
      now,
    );
    if (row.cluster === null) await c.var.db.insert(accessKeys).values(row);
    else if ((await insertBoundKey(c.var.db, { ...row, cluster: row.cluster })).meta.changes === 0) {
      throw new HttpError(404, "not_found", `No cluster named "${row.cluster}".`);
    }
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
