import { eq, sql } from "drizzle-orm";
import type { AccessKey, AccessKeyScope } from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { accessKeys, clusters } from "../db/schema.ts";
import { hashSecret, newSecret, randomToken } from "../secrets.ts";

export type AccessKeyRow = typeof accessKeys.$inferSelect;

export interface NewAccessKey {
  name: string;
  scope: AccessKeyScope;
  /** Set exactly when scope is cluster-values:read (a CHECK in D1 holds the same rule). */
  cluster: string | null;
  expiresAt: number | null;
}

/** A fresh key and the row to store for it; the key itself is returned once and never stored. */
export async function newAccessKey(
  input: NewAccessKey,
  now: number,
): Promise<{ row: AccessKeyRow; key: string }> {
  const key = newSecret("accessKey");
  const row: AccessKeyRow = {
    id: `ak_${randomToken(9)}`,
    name: input.name,
    scope: input.scope,
    cluster: input.cluster,
    keyHash: await hashSecret(key),
    createdAt: now,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    disabled: false,
  };
  return { row, key };
}

/** The key that a cluster's connect command puts in its Helm --values URL: it reads that cluster's values only. */
export function newClusterValuesKey(
  cluster: string,
  now: number,
): Promise<{ row: AccessKeyRow; key: string }> {
  return newAccessKey(
    { name: `connect ${cluster}`.slice(0, 64), scope: "cluster-values:read", cluster, expiresAt: null },
    now,
  );
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

// Deliberately field by field: the hash must never reach a response.
export function accessKeyJson(row: AccessKeyRow): AccessKey {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    cluster: row.cluster,
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
    disabled: row.disabled,
  };
}

/**
 * Inserts a cluster-bound key only while its cluster exists (0 rows changed otherwise), so a key can
 * never outlive a concurrent delete and then read a later cluster of the same name. Batchable.
 */
export function insertBoundKey(db: Db, row: AccessKeyRow & { cluster: string }) {
  const constant = <T>(value: T, column: string) => sql<T>`${value}`.as(column);
  return db.insert(accessKeys).select(
    db
      .select({
        id: constant(row.id, "id"),
        name: constant(row.name, "name"),
        scope: constant(row.scope, "scope"),
        cluster: clusters.name,
        keyHash: constant(row.keyHash, "key_hash"),
        createdAt: constant(row.createdAt, "created_at"),
        expiresAt: constant(row.expiresAt, "expires_at"),
        lastUsedAt: sql<null>`null`.as("last_used_at"),
        disabled: sql<boolean>`0`.as("disabled"),
      })
      .from(clusters)
      .where(eq(clusters.name, row.cluster)),
  );
}
