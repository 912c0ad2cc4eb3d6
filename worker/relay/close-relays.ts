import { ne } from "drizzle-orm";
import { pairName } from "../../protocol/relay.ts";
import type { Db } from "../db/client.ts";
import { clusters } from "../db/schema.ts";
import type { Bindings } from "../env.ts";

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
  const closed = await Promise.all(
    others.map(({ name }) => env.RELAY.get(env.RELAY.idFromName(pairName(cluster, name))).revoke(cluster)),
  );
  return closed.reduce((a, b) => a + b, 0);
}
