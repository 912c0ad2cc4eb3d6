import { and, eq, ne } from "drizzle-orm";
import type { NetmapPeer, PeeringPolicy } from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";
import { netmapPeerOf } from "./netmap.ts";

/**
 * What the Worker (and a control channel, for its peers) may ask of a cluster's control
 * Durable Object. Declared here rather than imported from the object, so the object can use
 * these fan-out helpers too without an import cycle.
 */
export interface ControlRpc {
  /** Applies a netmap delta and sends it to the agent, if its channel is open. */
  push(upserts: NetmapPeer[], removes: string[]): Promise<void>;
  /** Sends the whole netmap again (the peering policy changed). */
  resync(): Promise<void>;
  /** Tells the agent to fetch its values again. */
  valuesChanged(): Promise<void>;
  /** Closes the channel for good (cluster deleted, agent revoked, credential replaced). */
  revoke(): Promise<void>;
}

export type ControlStubs = (cluster: string) => ControlRpc;

/** A Durable Object namespace of control channels, as the stubs the fan-out helpers call. */
export function controlStubs(ns: {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): ControlRpc;
}): ControlStubs {
  return (cluster) => ns.get(ns.idFromName(cluster));
}

/**
 * The clusters with a live agent whose netmap shows `cluster`, given whether it is the local one.
 * Under hub a spoke is seen by the local cluster alone (one row read); the hub and every cluster
 * under mesh are seen by every other agent (N rows, only when such a cluster changes).
 */
export async function clustersSeeing(
  db: Db,
  cluster: string,
  local: boolean,
  policy: PeeringPolicy,
): Promise<string[]> {
  const live = and(eq(agents.cluster, clusters.name), eq(agents.revoked, false));
  const base = db.select({ name: clusters.name }).from(clusters).innerJoin(agents, live);
  const rows =
    policy === "mesh" || local
      ? await base.where(ne(clusters.name, cluster))
      : await base.where(and(ne(clusters.name, cluster), eq(clusters.local, true)));
  return rows.map((r) => r.name);
}

/** Sends `cluster`'s current netmap entry to every agent that shows it. Returns how many were told. */
export async function pushPeerChanged(
  stubs: ControlStubs,
  db: Db,
  cluster: string,
  policy: PeeringPolicy,
  now: number,
): Promise<number> {
  const entry = await netmapPeerOf(db, cluster, now);
  if (entry === null) return 0;
  const targets = await clustersSeeing(db, cluster, entry.local, policy);
  await Promise.all(targets.map((t) => stubs(t).push([entry.peer], [])));
  return targets.length;
}

/** Removes `cluster` from the netmaps of `targets` (read with clustersSeeing before it went). */
export async function pushPeerRemoved(
  stubs: ControlStubs,
  cluster: string,
  targets: string[],
): Promise<void> {
  await Promise.all(targets.map((t) => stubs(t).push([], [cluster])));
}

/** Every cluster with a live agent. */
async function liveClusters(db: Db): Promise<string[]> {
  const rows = await db.select({ name: agents.cluster }).from(agents).where(eq(agents.revoked, false));
  return rows.map((r) => r.name);
}

/** The peering policy changed: every agent gets its whole netmap again. */
export async function pushResyncAll(stubs: ControlStubs, db: Db): Promise<void> {
  await Promise.all((await liveClusters(db)).map((t) => stubs(t).resync()));
}

/** Agent values may have changed: for one cluster, or for all when `cluster` is null. */
export async function pushValuesChanged(stubs: ControlStubs, db: Db, cluster: string | null): Promise<void> {
  const targets = cluster === null ? await liveClusters(db) : [cluster];
  await Promise.all(targets.map((t) => stubs(t).valuesChanged()));
}
