import { eq, ne } from "drizzle-orm";
import type { PairRelay } from "../../durable-objects/pair-relay.ts";
import type { PeeringPolicy } from "../../protocol/api.ts";
import { pairName } from "../../protocol/relay.ts";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";
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
 * Closes every relay socket `cluster` holds, in every pair it could belong to.
 *
 * Called when the cluster is deleted or its credential replaced, so that a
 * revoked agent loses the relay at once rather than at its next reconnect.
 * Pairs are not tracked anywhere, so every other cluster is asked; the
 * peering policy may have changed since a socket was opened, which is why
 * this does not filter by the current policy. Run it after the credential
 * stopped working (row deleted or hash replaced), so that no new socket can
 * slip in behind the revocation.
 */
export async function closeRelaysOf(env: Bindings, db: Db, cluster: string): Promise<number> {
  const others = await db.select({ name: clusters.name }).from(clusters).where(ne(clusters.name, cluster));
  const namespaces = await relayNamespaces(env, db);
  const closed = await Promise.all(
    namespaces.flatMap((ns) =>
      others.map(({ name }) => ns.get(ns.idFromName(pairName(cluster, name))).revoke(cluster)),
    ),
  );
  return closed.reduce((a, b) => a + b, 0);
}

/**
 * Closes the relay sockets of every pair `policy` no longer allows, when the platform config's
 * peering changes. Under "mesh" every pair is allowed; under "hub" a pair of two non-local
 * clusters is not. Only clusters with an agent can hold sockets, so only their pairs are asked
 * (one Durable Object call per pair of spokes: fine for the tens of clusters this serves, and it
 * runs only when the policy changes). New sockets are already refused by GET /relay/<peer>,
 * which reads the policy on every upgrade, so closing after the write leaves no gap.
 */
export async function closeRelaysForbiddenBy(env: Bindings, db: Db, policy: PeeringPolicy): Promise<number> {
  if (policy === "mesh") return 0;
  const rows = await db
    .select({ name: clusters.name, local: clusters.local })
    .from(clusters)
    .innerJoin(agents, eq(agents.cluster, clusters.name));
  const spokes = rows.filter((r) => !r.local).map((r) => r.name);
  const calls: Promise<number>[] = [];
  const namespaces = await relayNamespaces(env, db);
  for (let i = 0; i < spokes.length; i++) {
    for (let j = i + 1; j < spokes.length; j++) {
      const pair = pairName(spokes[i] ?? "", spokes[j] ?? "");
      for (const ns of namespaces) calls.push(ns.get(ns.idFromName(pair)).unpair());
    }
  }
  const closed = await Promise.all(calls);
  return closed.reduce((a, b) => a + b, 0);
}
