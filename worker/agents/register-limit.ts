import { and, count, eq, gt, lte, min, sql } from "drizzle-orm";
import {
  REGISTER_FAILURE_LIMIT,
  REGISTER_FAILURE_WINDOW_SECONDS,
  REGISTER_SOURCE_FAILURE_LIMIT,
} from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { registerFailures } from "../db/schema.ts";

const WINDOW_MS = REGISTER_FAILURE_WINDOW_SECONDS * 1000;

/** What a failed registration attempt gets: counted (answer 401) or over the limit (answer 429). */
export type FailureVerdict = { counted: true } | { counted: false; retryAfterSeconds: number };

/** The key a guess is counted under when the request carries no CF-Connecting-IP (local tests). */
export const UNKNOWN_SOURCE = "unknown";

/**
 * Records one failed registration from `source` for the name `cluster`, unless that source is
 * already over its limit for that name (or over its limit across all names).
 *
 * The check and the record are one conditional INSERT, so D1 (one writer, statements atomic)
 * decides concurrent guesses one after another: of N simultaneous wrong guesses exactly the
 * limit are counted, never more. Only failures are counted, and only after the PSK was checked,
 * so a right PSK is never refused; keying on the source means guesses from elsewhere never
 * spend the budget of the address the real agent comes from.
 */
export async function recordRegisterFailure(
  db: Db,
  source: string,
  cluster: string,
  now: number,
): Promise<FailureVerdict> {
  const since = now - WINDOW_MS;
  // Pruning need not be atomic with the decision: rows outside the window are never counted.
  await db
    .delete(registerFailures)
    .where(and(eq(registerFailures.source, source), lte(registerFailures.at, since)));
  const inserted = await db.all<{ id: number }>(sql`
      insert into ${registerFailures} (cluster, source, at)
      select ${cluster}, ${source}, ${now}
      where (select count(*) from ${registerFailures}
             where source = ${source} and cluster = ${cluster} and at > ${since}) < ${REGISTER_FAILURE_LIMIT}
        and (select count(*) from ${registerFailures}
             where source = ${source} and at > ${since}) < ${REGISTER_SOURCE_FAILURE_LIMIT}
      returning id`);
  if (inserted.length > 0) return { counted: true };
  return { counted: false, retryAfterSeconds: await retryAfter(db, source, cluster, now) };
}

/** Seconds until the oldest failure that holds the source over a limit leaves the window. */
async function retryAfter(db: Db, source: string, cluster: string, now: number): Promise<number> {
  const since = now - WINDOW_MS;
  const recent = and(eq(registerFailures.source, source), gt(registerFailures.at, since));
  const [forName] = await db
    .select({ failures: count(), oldest: min(registerFailures.at) })
    .from(registerFailures)
    .where(and(recent, eq(registerFailures.cluster, cluster)));
  const [forSource] = await db
    .select({ oldest: min(registerFailures.at) })
    .from(registerFailures)
    .where(recent);
  const oldest =
    forName !== undefined && forName.failures >= REGISTER_FAILURE_LIMIT ? forName.oldest : forSource?.oldest;
  return Math.max(1, Math.ceil(((oldest ?? now) + WINDOW_MS - now) / 1000));
}

/** Forgets every failure counted for `cluster`: after a good registration and a PSK rotation. */
export function clearRegisterFailures(db: Db, cluster: string) {
  return db.delete(registerFailures).where(eq(registerFailures.cluster, cluster));
}
