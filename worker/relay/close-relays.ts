import { eq, or } from "drizzle-orm";
import type { PairRelay } from "../../durable-objects/pair-relay.ts";
import type { PeeringPolicy } from "../../protocol/api.ts";
import { pairName } from "../../protocol/relay.ts";
import type { Db } from "../db/client.ts";
import { clusters, relayPairs } from "../db/schema.ts";
import type { Bindings } from "../env.ts";
import { loadConfig } from "../values/platform-config.ts";
import { relayNamespacesForCleanup } from "./relay-namespace.ts";

/**
 * The namespaces a pair's object can live in: the default one, and the one restricted to
 * `relay.jurisdiction` when that is set (a pair created before it was set still lives in the
 * default one until both agents reconnect).
 */
async function relayNamespaces(env: Bindings, db: Db): Promise<DurableObjectNamespace<PairRelay>[]> {
  return relayNamespacesForCleanup(env.RELAY, (await loadConfig(db)).relayJurisdiction);
}

/**
 * The peers `cluster` has had a relay with. GET /relay/<peer> records the pair (its placement row)
 * before it creates or reaches the pair's object, so a pair without a row has never held a socket.
 * (A deploy restarts every object and closes its sockets, so a socket from before the table existed
 * came back through that route and has its row.) Reads O(pairs of this cluster), not O(clusters):
 * a fleet of 1,000 spokes no longer means 1,000 object calls per deletion.
 */
export async function relayPeersOf(db: Db, cluster: string): Promise<string[]> {
  const rows = await db
    .select({ a: relayPairs.clusterA, b: relayPairs.clusterB })
    .from(relayPairs)
    .where(or(eq(relayPairs.clusterA, cluster), eq(relayPairs.clusterB, cluster)));
  return rows.map((r) => (r.a === cluster ? r.b : r.a));
}

/**
 * Closes every relay socket `cluster` holds in its pairs with `peers`, in every namespace the pair's
 * object could live in. Call it after the credential stopped working (row deleted, revoked or its
 * hash replaced), so that no new socket can slip in behind the revocation.
 */
export async function closeRelays(env: Bindings, db: Db, cluster: string, peers: string[]): Promise<number> {
  if (peers.length === 0) return 0;
  const namespaces = await relayNamespaces(env, db);
  const closed = await Promise.all(
    namespaces.flatMap((ns) =>
      peers.map((peer) => ns.get(ns.idFromName(pairName(cluster, peer))).revoke(cluster)),
    ),
  );
  return closed.reduce((a, b) => a + b, 0);
}

/**
 * Closes every relay socket `cluster` holds (credential replaced or revoked), so that the agent
 * loses the relay at once rather than at its next reconnect. A deletion cannot use this after its
 * delete (the pair rows go with the cluster): it reads relayPeersOf first and calls closeRelays.
 */
export async function closeRelaysOf(env: Bindings, db: Db, cluster: string): Promise<number> {
  return closeRelays(env, db, cluster, await relayPeersOf(db, cluster));
}

/**
 * Closes the relay sockets of every pair `policy` no longer allows, when the platform config's
 * peering changes. Under "mesh" every pair is allowed; under "hub" a pair of two non-local
 * clusters is not. Only recorded pairs can hold sockets (see relayPeersOf), so one read of them
 * and of the local clusters finds every pair to close. New sockets are already refused by
 * GET /relay/<peer>, which reads the policy on every upgrade, so closing after the write leaves no gap.
 */
export async function closeRelaysForbiddenBy(env: Bindings, db: Db, policy: PeeringPolicy): Promise<number> {
  if (policy === "mesh") return 0;
  const [pairs, locals] = await Promise.all([
    db.select({ pair: relayPairs.pair, a: relayPairs.clusterA, b: relayPairs.clusterB }).from(relayPairs),
    db.select({ name: clusters.name }).from(clusters).where(eq(clusters.local, true)),
  ]);
  const local = new Set(locals.map((l) => l.name));
  const forbidden = pairs.filter((p) => !local.has(p.a) && !local.has(p.b));
  if (forbidden.length === 0) return 0;
  const namespaces = await relayNamespaces(env, db);
  const closed = await Promise.all(
    namespaces.flatMap((ns) => forbidden.map((p) => ns.get(ns.idFromName(p.pair)).unpair())),
  );
  return closed.reduce((a, b) => a + b, 0);
}
