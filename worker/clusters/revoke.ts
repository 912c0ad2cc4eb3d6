import { and, eq, isNull } from "drizzle-orm";
import { CLUSTER_EVENT_REASONS, CREDENTIAL_REVOKED } from "../../protocol/api.ts";
import { clustersSeeing, controlStubs, pushPeerRemoved } from "../agents/push.ts";
import { accessKeys, agents, clusters, psks } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { closeRelaysOf } from "../relay/close-relays.ts";
import { loadConfig } from "../values/platform-config.ts";
import { clusterEventIfExistsStatements } from "./events.ts";
import type { ClusterRecord } from "./records.ts";
import { revokedMessage } from "./revoked-message.ts";

type Env = AppEnv["Bindings"];
type Db = AppEnv["Variables"]["db"];

/**
 * Cuts the cluster's agent off and keeps the cluster: the agent's credential, the PSK and the
 * cluster's values keys stop working in one transaction, then its control channel and relays are
 * closed and every agent that showed it drops it. Returns false when it was already revoked (no
 * second event; the closes run again, which is harmless and catches a socket that slipped in).
 */
export async function revokeClusterAgent(
  env: Env,
  db: Db,
  record: ClusterRecord,
  now: number,
): Promise<boolean> {
  const name = record.cluster.name;
  // Who shows this cluster, read while its agent still counts as live; they drop it after the batch.
  const { peering } = await loadConfig(db);
  const seeing = record.agent === null ? [] : await clustersSeeing(db, name, record.cluster.local, peering);
  const message = revokedMessage(now);
  // The guard on credential_revoked_at makes a second revoke change nothing, and the event is
  // inserted only when this batch set it: two revokes, even racing, record one event.
  const [marked] = await db.batch([
    db
      .update(clusters)
      .set({ credentialRevokedAt: now, phase: "Failed", reason: CREDENTIAL_REVOKED, message, reasonAt: now })
      .where(and(eq(clusters.name, name), isNull(clusters.credentialRevokedAt)))
      .returning({ name: clusters.name }),
    db
      .update(agents)
      .set({ revoked: true, connectedSince: null, presenceAt: now })
      .where(eq(agents.cluster, name)),
    // The PSK goes: a revoked agent must not register its way back with what it already holds.
    db.delete(psks).where(eq(psks.cluster, name)),
    // As a rotation does: the values keys were handed out with the same connect command.
    db.delete(accessKeys).where(eq(accessKeys.cluster, name)),
    ...clusterEventIfExistsStatements(
      db,
      name,
      now,
      {
        type: "Warning",
        reason: CLUSTER_EVENT_REASONS.credentialRevoked,
        message: `An admin revoked the agent: its credential and PSK no longer work. To reconnect, rotate the PSK and run the new connect command.`,
      },
      eq(clusters.credentialRevokedAt, now),
    ),
  ]);
  const stubs = controlStubs(env.CONTROL);
  await Promise.all([
    closeRelaysOf(env, db, name),
    stubs(name).revoke(),
    pushPeerRemoved(stubs, name, seeing),
  ]);
  return marked.length > 0;
}
