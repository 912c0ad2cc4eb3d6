import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Timestamps are integer milliseconds since the epoch: cheap to compare in SQL
// (the 60 s online window and the register rate limit are range queries).

export const accessKeys = sqliteTable(
  "access_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: ["admin", "values:read", "cluster-values:read"] }).notNull(),
    // The one cluster a cluster-values:read key may read; null for every other scope. No foreign
    // key: deleting a cluster deletes its keys in the same batch (routes/clusters.ts).
    cluster: text("cluster"),
    keyHash: text("key_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    check("access_keys_scope_check", sql`${t.scope} in ('admin', 'values:read', 'cluster-values:read')`),
    // A cluster-bound scope without its cluster would be a key that reads nothing (or, by a bug, everything).
    check(
      "access_keys_cluster_check",
      sql`(${t.scope} = 'cluster-values:read') = (${t.cluster} is not null)`,
    ),
    index("access_keys_cluster").on(t.cluster),
  ],
);

export const clusters = sqliteTable(
  "clusters",
  {
    name: text("name").primaryKey(),
    displayName: text("display_name").notNull(),
    description: text("description").notNull().default(""),
    // JSON object of string -> string, as Kubernetes annotations are.
    annotations: text("annotations").notNull().default("{}"),
    local: integer("local", { mode: "boolean" }).notNull().default(false),
    meshIp: text("mesh_ip").notNull().unique(),
    phase: text("phase", { enum: ["", "Initialized", "Failed"] })
      .notNull()
      .default(""),
    reason: text("reason").notNull().default(""),
    message: text("message").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    // When reason was last set (the DuplicateCluster condition's transition time).
    reasonAt: integer("reason_at"),
    // When an admin revoked the cluster's agent (POST .../revoke); null again once an agent
    // registers with a rotated PSK. The CredentialRevoked condition's transition time.
    credentialRevokedAt: integer("credential_revoked_at"),
  },
  (t) => [
    // The database, not the handler, guarantees a single primary cluster even under concurrent creates.
    uniqueIndex("clusters_single_local").on(t.local).where(sql`${t.local} = 1`),
  ],
);

export const psks = sqliteTable("psks", {
  cluster: text("cluster")
    .primaryKey()
    .references(() => clusters.name, { onDelete: "cascade" }),
  pskHash: text("psk_hash").notNull(),
  rotatedAt: integer("rotated_at").notNull(),
  // Set by a rotation, cleared by the next registration: rotating is the admin's consent that the
  // next agent to prove the new PSK may replace the registered one, even from a new identity.
  allowRebind: integer("allow_rebind", { mode: "boolean" }).notNull().default(false),
});

export const agents = sqliteTable("agents", {
  cluster: text("cluster")
    .primaryKey()
    .references(() => clusters.name, { onDelete: "cascade" }),
  // WireGuard identifies peers by public key, so two clusters must never share one.
  publicKey: text("public_key").notNull().unique(),
  credentialHash: text("credential_hash").notNull().unique(),
  clusterUid: text("cluster_uid").notNull(),
  version: text("version").notNull(),
  endpoints: text("endpoints").notNull().default("[]"),
  peerStats: text("peer_stats").notNull().default("[]"),
  lastSeen: integer("last_seen"),
  createdAt: integer("created_at").notNull(),
  revoked: integer("revoked", { mode: "boolean" }).notNull().default(false),
  // The agent's last report of the values it applied and rejected (JSON: ValuesReport plus
  // reportedAt); null until it sends one.
  valuesReport: text("values_report"),
  // Presence is written on transitions only (the control channel opened or closed, or was found
  // silent), never per ping: connectedSince is non-null while the channel is open.
  connectedSince: integer("connected_since"),
  presenceAt: integer("presence_at"),
  registeredAt: integer("registered_at"),
  peerStatsAt: integer("peer_stats_at"),
});

export const platformConfig = sqliteTable(
  "platform_config",
  {
    id: integer("id").primaryKey(),
    yaml: text("yaml").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [check("platform_config_single_row", sql`${t.id} = 1`)],
);

export const registerFailures = sqliteTable(
  "register_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // The name the guess was for, which need not exist: unknown names are counted like known ones.
    cluster: text("cluster").notNull(),
    // CF-Connecting-IP of the guess: limits are per source, so guesses from elsewhere never spend
    // the real agent's budget.
    source: text("source").notNull().default(""),
    at: integer("at").notNull(),
  },
  (t) => [
    index("register_failures_source_cluster_at").on(t.source, t.cluster, t.at),
    index("register_failures_cluster").on(t.cluster),
  ],
);

/**
 * A cluster's history: registrations, refusals, PSK rotations, values reports, path changes.
 * Bounded per cluster on every insert (worker/clusters/events.ts); deleted with the cluster.
 */
export const clusterEvents = sqliteTable(
  "cluster_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // No foreign key: events of a cluster are deleted with it in the same batch (routes/clusters.ts).
    cluster: text("cluster").notNull(),
    at: integer("at").notNull(),
    type: text("type", { enum: ["Normal", "Warning"] }).notNull(),
    reason: text("reason").notNull(),
    message: text("message").notNull().default(""),
    // JSON object.
    detail: text("detail").notNull().default("{}"),
  },
  (t) => [
    check("cluster_events_type_check", sql`${t.type} in ('Normal', 'Warning')`),
    index("cluster_events_cluster_id").on(t.cluster, t.id),
  ],
);

// Where each agent last connected to the relay from (request.cf), so that a pair's relay can be
// placed between both agents when its object is first created.
export const agentLocations = sqliteTable("agent_locations", {
  cluster: text("cluster")
    .primaryKey()
    .references(() => clusters.name, { onDelete: "cascade" }),
  continent: text("continent"),
  latitude: real("latitude"),
  longitude: real("longitude"),
  colo: text("colo"),
  updatedAt: integer("updated_at").notNull(),
});

// One row per pair relay: the location hint (and jurisdiction) its object was created with.
export const relayPairs = sqliteTable(
  "relay_pairs",
  {
    pair: text("pair").primaryKey(),
    clusterA: text("cluster_a")
      .notNull()
      .references(() => clusters.name, { onDelete: "cascade" }),
    clusterB: text("cluster_b")
      .notNull()
      .references(() => clusters.name, { onDelete: "cascade" }),
    locationHint: text("location_hint"),
    jurisdiction: text("jurisdiction"),
    worstKm: integer("worst_km"),
    basis: text("basis").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("relay_pairs_cluster_a").on(t.clusterA), index("relay_pairs_cluster_b").on(t.clusterB)],
);
