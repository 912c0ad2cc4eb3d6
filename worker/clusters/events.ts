import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { ClusterEvent, ClusterEventType } from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { clusterEvents, clusters } from "../db/schema.ts";
import { parseJsonColumn } from "./to-json.ts";

/** The newest this many events per cluster are kept... */
export const EVENTS_KEPT_PER_CLUSTER = 200;
/** ...and none older than this. */
export const EVENTS_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

const MAX_MESSAGE = 1024;
const ROWS_PER_INSERT = 16;
const MAX_DETAIL_JSON = 4096;

export interface NewClusterEvent {
  type: ClusterEventType;
  reason: string;
  message: string;
  detail?: Record<string, unknown>;
  /** When it happened, if not at the request's time (e.g. an agent noticed offline late). */
  at?: number;
}

function detailJson(detail: Record<string, unknown> | undefined): string {
  const text = JSON.stringify(detail ?? {});
  return text.length <= MAX_DETAIL_JSON ? text : JSON.stringify({ truncated: true });
}

/**
 * The statements that record `events` for `cluster` and prune its history, to put in the same
 * D1 batch as the change they describe. The prune reads the cluster's newest
 * EVENTS_KEPT_PER_CLUSTER + 1 index entries (the OFFSET walk) and the rows it deletes: D1 bills
 * about 200 rows read and 1 + deleted rows written (plus the index) per recording.
 */
export function clusterEventStatements(
  db: Db,
  cluster: string,
  now: number,
  events: NewClusterEvent[],
): [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] {
  const rows = events.map((e) => eventRow(cluster, now, e));
  // D1 binds at most 100 parameters per statement; a row takes 6.
  const inserts: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    inserts.push(db.insert(clusterEvents).values(rows.slice(i, i + ROWS_PER_INSERT)));
  }
  // The prune last, so it counts the rows just added.
  const [first, ...rest]: BatchItem<"sqlite">[] = [...inserts, prune(db, cluster, now)];
  return [first!, ...rest];
}

function eventRow(cluster: string, now: number, e: NewClusterEvent) {
  return {
    cluster,
    at: e.at ?? now,
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, MAX_MESSAGE),
    detail: detailJson(e.detail),
  };
}

/**
 * The same for a name that may not be a cluster (an unauthenticated registration): the insert
 * happens only if the cluster exists, but the same statements run either way, so the time taken
 * does not tell which names exist.
 */
export function clusterEventIfExistsStatements(
  db: Db,
  cluster: string,
  now: number,
  event: NewClusterEvent,
  /** A further condition on the cluster's row (e.g. "this batch just changed it"). */
  also?: SQL,
) {
  const r = eventRow(cluster, now, event);
  const insert = db.insert(clusterEvents).select(
    db
      .select({
        // NULL into an INTEGER PRIMARY KEY takes the next id; the select must list every column.
        id: sql<number>`null`.as("id"),
        cluster: clusters.name,
        at: sql<number>`${r.at}`.as("at"),
        type: sql<"Warning" | "Normal">`${r.type}`.as("type"),
        reason: sql<string>`${r.reason}`.as("reason"),
        message: sql<string>`${r.message}`.as("message"),
        detail: sql<string>`${r.detail}`.as("detail"),
      })
      .from(clusters)
      .where(also === undefined ? eq(clusters.name, r.cluster) : and(eq(clusters.name, r.cluster), also)),
  );
  return [insert, prune(db, cluster, now)] as const;
}

function prune(db: Db, cluster: string, now: number) {
  const cutoff = now - EVENTS_MAX_AGE_MS;
  return db.delete(clusterEvents).where(
    and(
      eq(clusterEvents.cluster, cluster),
      sql`(${clusterEvents.at} < ${cutoff} or ${clusterEvents.id} <= (
          select id from ${clusterEvents} where cluster = ${cluster}
          order by id desc limit 1 offset ${EVENTS_KEPT_PER_CLUSTER}))`,
    ),
  );
}

/** Records events on their own (when there is no other write to join). A no-op for none. */
export async function recordClusterEvent(
  db: Db,
  cluster: string,
  now: number,
  ...events: NewClusterEvent[]
): Promise<void> {
  if (events.length === 0) return;
  await db.batch(clusterEventStatements(db, cluster, now, events));
}

export function deleteClusterEvents(db: Db, cluster: string) {
  return db.delete(clusterEvents).where(eq(clusterEvents.cluster, cluster));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One page, newest first, strictly older than the event `before` when given. */
export async function listClusterEvents(
  db: Db,
  cluster: string,
  before: number | null,
  limit: number,
): Promise<{ items: ClusterEvent[]; nextCursor: string | null }> {
  const where =
    before === null
      ? eq(clusterEvents.cluster, cluster)
      : and(eq(clusterEvents.cluster, cluster), lt(clusterEvents.id, before));
  // One extra row tells whether another page exists.
  const rows = await db
    .select()
    .from(clusterEvents)
    .where(where)
    .orderBy(desc(clusterEvents.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      type: r.type,
      reason: r.reason,
      message: r.message,
      detail: parseJsonColumn(r.detail, isRecord, {}),
    })),
    nextCursor: rows.length > limit && last ? String(last.id) : null,
  };
}
