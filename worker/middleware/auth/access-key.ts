import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import type { AccessKeyScope } from "../../../protocol/api.ts";
import { accessKeys } from "../../db/schema.ts";
import type { AccessKeyPrincipal, AppEnv } from "../../env.ts";
import { HttpError } from "../../http/errors.ts";
import { constantTimeEqual, hashSecret } from "../../secrets.ts";
import { bearerToken } from "./bearer.ts";

// Recording every use would turn each read into a write; minute resolution is plenty for "last used".
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AccessKeyOptions {
  /** Scopes accepted besides admin, which is always accepted. */
  scopes?: AccessKeyScope[];
  /** Also accept the key in ?token= (the values endpoints, for Helm's --values URLs). */
  allowQueryToken?: boolean;
}

export function requireAccessKey(options: AccessKeyOptions = {}): MiddlewareHandler<AppEnv> {
  const accepted = new Set<AccessKeyScope>(["admin", ...(options.scopes ?? [])]);
  return async (c, next) => {
    const token = bearerToken(c) ?? (options.allowQueryToken ? c.req.query("token") : undefined);
    if (token === undefined || token === "") {
      throw new HttpError(
        401,
        "missing_credential",
        "An access key is required (Authorization: Bearer tak_...).",
      );
    }
    const principal = await authenticate(c.env.ADMIN_ACCESS_KEY, token, c.var);
    if (!accepted.has(principal.scope)) {
      throw new HttpError(
        403,
        "insufficient_scope",
        `This access key has scope "${principal.scope}", which does not allow this request.`,
      );
    }
    c.set("accessKey", principal);
    await next();
  };
}

async function authenticate(
  bootstrapKey: string | undefined,
  token: string,
  vars: AppEnv["Variables"],
): Promise<AccessKeyPrincipal> {
  const presented = await hashSecret(token);
  if (bootstrapKey !== undefined && bootstrapKey !== "") {
    if (constantTimeEqual(presented, await hashSecret(bootstrapKey))) {
      return { kind: "access-key", id: null, scope: "admin" };
    }
  }
  const row = await vars.db.query.accessKeys.findFirst({ where: eq(accessKeys.keyHash, presented) });
  if (row === undefined || !constantTimeEqual(row.keyHash, presented)) {
    throw new HttpError(401, "invalid_credential", "The access key is not valid.");
  }
  if (row.disabled) throw new HttpError(401, "invalid_credential", "The access key was deleted.");
  if (row.expiresAt !== null && row.expiresAt <= vars.now) {
    throw new HttpError(401, "expired_credential", "The access key has expired.");
  }
  if (row.lastUsedAt === null || vars.now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    await vars.db.update(accessKeys).set({ lastUsedAt: vars.now }).where(eq(accessKeys.id, row.id));
  }
  return { kind: "access-key", id: row.id, scope: row.scope };
}
