import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import type { AccessKeyScope } from "../../../protocol/api.ts";
import type { Db } from "../../db/client.ts";
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

type AccessKeyRow = typeof accessKeys.$inferSelect;

/**
 * A presented access key, hashed, before its row is read. Split from the row
 * check so a hot route can fetch the row in the same D1 batch as its own data.
 */
export interface PresentedKey {
  hash: string;
  /** Set when the token is the ADMIN_ACCESS_KEY bootstrap key, which has no row. */
  bootstrap: AccessKeyPrincipal | null;
}

export async function presentedKey(c: Context<AppEnv>, options: AccessKeyOptions): Promise<PresentedKey> {
  const token = bearerToken(c) ?? (options.allowQueryToken ? c.req.query("token") : undefined);
  if (token === undefined || token === "") {
    throw new HttpError(
      401,
      "missing_credential",
      "An access key is required (Authorization: Bearer tak_...).",
    );
  }
  const hash = await hashSecret(token);
  const bootstrapHash = await bootstrapKeyHash(c.env.ADMIN_ACCESS_KEY);
  if (bootstrapHash !== null && constantTimeEqual(hash, bootstrapHash)) {
    return { hash, bootstrap: { kind: "access-key", id: null, scope: "admin", cluster: null } };
  }
  return { hash, bootstrap: null };
}

// The bootstrap key only changes with a redeploy (a new isolate), but stays keyed by its value regardless.
let bootstrapMemo: { key: string; hash: Promise<string> } | null = null;

function bootstrapKeyHash(key: string | undefined): Promise<string | null> {
  if (key === undefined || key === "") return Promise.resolve(null);
  if (bootstrapMemo?.key !== key) bootstrapMemo = { key, hash: hashSecret(key) };
  return bootstrapMemo.hash;
}

export function accessKeyRowQuery(db: Db, hash: string) {
  return db.select().from(accessKeys).where(eq(accessKeys.keyHash, hash)).limit(1);
}

/** Turns the presented key and its row (if any) into a principal, or throws 401/403. */
export async function admitAccessKey(
  c: Context<AppEnv>,
  presented: PresentedKey,
  row: AccessKeyRow | undefined,
  options: AccessKeyOptions,
): Promise<AccessKeyPrincipal> {
  const principal = presented.bootstrap ?? admitRow(c, presented.hash, row);
  if (principal.scope !== "admin" && !(options.scopes ?? []).includes(principal.scope)) {
    throw new HttpError(
      403,
      "insufficient_scope",
      `This access key has scope "${principal.scope}", which does not allow this request.`,
    );
  }
  c.set("accessKey", principal);
  return principal;
}

function admitRow(
  c: Context<AppEnv>,
  presentedHash: string,
  row: AccessKeyRow | undefined,
): AccessKeyPrincipal {
  const now = c.var.now;
  if (row === undefined || !constantTimeEqual(row.keyHash, presentedHash)) {
    throw new HttpError(401, "invalid_credential", "The access key is not valid.");
  }
  if (row.disabled) throw new HttpError(401, "invalid_credential", "The access key was deleted.");
  if (row.expiresAt !== null && row.expiresAt <= now) {
    throw new HttpError(401, "expired_credential", "The access key has expired.");
  }
  if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    // Marked on the row too: the values endpoints keep rows for a moment (values-cache.ts), and
    // every request that uses a kept row would otherwise write again.
    row.lastUsedAt = now;
    recordLastUse(c, c.var.db.update(accessKeys).set({ lastUsedAt: now }).where(eq(accessKeys.id, row.id)));
  }
  return { kind: "access-key", id: row.id, scope: row.scope, cluster: row.cluster };
}

/**
 * "Last used" is bookkeeping, not part of the answer, so the response does not
 * wait for its write: it finishes under waitUntil, and a failed write leaves the
 * previous time (the next use after LAST_USED_RESOLUTION_MS tries again). Without
 * an ExecutionContext (app.request() in tests) it is simply left running.
 */
function recordLastUse(c: Context<AppEnv>, write: PromiseLike<unknown>): void {
  const done = Promise.resolve(write).then(
    () => undefined,
    () => console.error("recording an access key's last use failed"),
  );
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // No ExecutionContext: nothing to extend; the write still runs.
  }
}

/**
 * For a route that serves one cluster: a cluster-bound key (cluster-values:read) passes only for
 * its own cluster. Checked before the cluster is looked up, so such a key cannot even learn which
 * other clusters exist (403 whether or not they do).
 */
export function assertKeyMayReadCluster(principal: AccessKeyPrincipal, cluster: string): void {
  if (principal.scope === "cluster-values:read" && principal.cluster !== cluster) {
    throw new HttpError(
      403,
      "insufficient_scope",
      `This access key may read only the values of cluster "${principal.cluster}".`,
    );
  }
}

export function requireAccessKey(options: AccessKeyOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = await presentedKey(c, options);
    const rows = presented.bootstrap === null ? await accessKeyRowQuery(c.var.db, presented.hash) : [];
    await admitAccessKey(c, presented, rows[0], options);
    await next();
  };
}
