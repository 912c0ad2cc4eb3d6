import { and, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import {
  CLUSTER_EVENT_REASONS,
  type ClusterDetail,
  CreateClusterRequest,
  type CreateClusterResponse,
  DUPLICATE_CLUSTER,
  type ListClusterEventsResponse,
  type ListClustersResponse,
  PatchClusterRequest,
  type RevokeClusterResponse,
  type RotatePskResponse,
} from "../../protocol/api.ts";
import { insertBoundKey, newClusterValuesKey } from "../access-keys/rows.ts";
import { clustersSeeing, controlStubs, pushPeerRemoved, pushValuesChanged } from "../agents/push.ts";
import { clearRegisterFailures } from "../agents/register-limit.ts";
import { chartUrl } from "../charts/routes.ts";
import { applyAnnotationPatch, assertValidAnnotations } from "../clusters/annotations.ts";
import { connectInstructions } from "../clusters/connect.ts";
import { decodeCursor, encodeCursor } from "../clusters/cursor.ts";
import { clusterEventStatements, deleteClusterEvents, listClusterEvents } from "../clusters/events.ts";
import { livePresence } from "../clusters/presence.ts";
import { type ClusterRecord, findClusterRecord, listClusterRecords } from "../clusters/records.ts";
import { revokeClusterAgent } from "../clusters/revoke.ts";
import { clusterAnnotations, toClusterJson } from "../clusters/to-json.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { accessKeys, agents, clusters, psks } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { jsonBody, validatedJson } from "../http/request-body.ts";
import { randomMeshIp } from "../mesh-ip.ts";
import { requireAccessKey } from "../middleware/auth/access-key.ts";
import { generateName, isDns1123Label } from "../names.ts";
import { closeRelays, relayPeersOf } from "../relay/close-relays.ts";
import { placementsOf } from "../relay/placement-store.ts";
import { hashSecret, newSecret } from "../secrets.ts";
import { loadConfig } from "../values/platform-config.ts";

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
// Each retry draws a new random mesh address (and a new suffix for generated names).
const INSERT_ATTEMPTS = 8;

function notFound(name: string): HttpError {
  return new HttpError(404, "not_found", `No cluster named "${name}".`);
}

async function requireCluster(c: Context<AppEnv>, name: string): Promise<ClusterRecord> {
  // A name that is not a DNS-1123 label cannot exist, whatever it contains.
  const record = isDns1123Label(name) ? await findClusterRecord(c.var.db, name) : undefined;
  if (record === undefined) throw notFound(name);
  return record;
}

/**
 * The URL connect commands name. The Host header is the client's to choose, so it is used only
 * on a local platform; anywhere else the admin sets platformUrl in the platform config, and until
 * then nothing that prints connect commands runs (409 before any change is made).
 */
async function platformUrlFor(c: Context<AppEnv>): Promise<string> {
  const configured = (await loadConfig(c.var.db)).platformUrl;
  if (configured !== null) return configured;
  if (c.env.TETHER_DEV === "1") return new URL(c.req.url).origin;
  throw new HttpError(
    409,
    "platform_url_unset",
    "Set platformUrl in the platform config (PUT /api/v1/config) first: connect commands need the platform's public URL.",
  );
}

const IMMUTABLE_FIELDS = ["name", "meshIp"] as const;

/** PATCH must not silently ignore what it cannot change. */
function refuseImmutableFields(body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  const field = IMMUTABLE_FIELDS.find((f) => Object.hasOwn(body, f));
  if (field === undefined) return;
  throw new HttpError(
    400,
    "immutable_field",
    `"${field}" cannot be changed after a cluster is created; delete and recreate the cluster instead.`,
    { field },
  );
}

function connectFor(platformUrl: string, cluster: string, psk: string, valuesKey: string) {
  return connectInstructions({ platformUrl, cluster, psk, valuesKey, chartUrl: chartUrl(platformUrl) });
}

function localClusterExists(): HttpError {
  return new HttpError(409, "local_cluster_exists", "Another cluster is already marked local: true.");
}

/** `?before=` of the events list: an event id from a nextCursor. */
function parseBefore(raw: string | undefined): number | null {
  if (raw === undefined || raw === "") return null;
  if (!/^[1-9]\d{0,15}$/.test(raw)) {
    throw new HttpError(400, "invalid_cursor", "The cursor is not one this API returned.");
  }
  return Number(raw);
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PAGE)) {
    throw new HttpError(400, "invalid_request", `limit must be an integer from 1 to ${MAX_PAGE}.`);
  }
  return n;
}

export const clusterRoutes = new Hono<AppEnv>()
  .use("*", requireAccessKey())
  .post("/", async (c) => {
    const input = validatedJson(c, CreateClusterRequest);
    const platformUrl = await platformUrlFor(c);
    const annotations = input.annotations ?? {};
    assertValidAnnotations(annotations);
    const explicitName = input.name === undefined || input.name === "" ? null : input.name;
    const local = input.local ?? false;
    const { db, now } = c.var;

    const psk = newSecret("psk");
    const pskHash = await hashSecret(psk);
    for (let attempt = 0; attempt < INSERT_ATTEMPTS; attempt++) {
      const row = {
        name: explicitName ?? generateName(input.displayName),
        displayName: input.displayName,
        description: input.description ?? "",
        annotations: JSON.stringify(annotations),
        local,
        meshIp: randomMeshIp(),
        phase: "" as const,
        reason: "",
        message: "",
        createdAt: now,
        reasonAt: null,
        credentialRevokedAt: null,
      };
      // Per attempt: the key is bound to this attempt's (possibly generated) name.
      const valuesKey = await newClusterValuesKey(row.name, now);
      try {
        // One batch is one transaction in D1: a cluster never exists without its PSK and values key.
        await db.batch([
          db.insert(clusters).values(row),
          db.insert(psks).values({ cluster: row.name, pskHash, rotatedAt: now }),
          insertBoundKey(db, { ...valuesKey.row, cluster: row.name }),
        ]);
      } catch (err) {
        if (isUniqueViolation(err, "clusters.local")) throw localClusterExists();
        if (isUniqueViolation(err, "clusters.name")) {
          if (explicitName !== null) {
            throw new HttpError(409, "cluster_exists", `A cluster named "${explicitName}" already exists.`);
          }
          continue;
        }
        if (isUniqueViolation(err, "clusters.mesh_ip")) continue;
        throw err;
      }
      const body: CreateClusterResponse = {
        cluster: toClusterJson({ cluster: row, agent: null }, now),
        psk,
        valuesKey: valuesKey.key,
        connect: connectFor(platformUrl, row.name, psk, valuesKey.key),
      };
      return c.json(body, 201);
    }
    throw new HttpError(
      409,
      "cluster_exists",
      "Could not find a free cluster name and mesh address; try again.",
    );
  })
  .get("/", async (c) => {
    const limit = parseLimit(c.req.query("limit"));
    const cursor = c.req.query("cursor");
    const after = cursor === undefined || cursor === "" ? null : decodeCursor(cursor);
    // One extra row tells whether another page exists without a COUNT query.
    const records = await listClusterRecords(c.var.db, after, limit + 1);
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    const live = await livePresence(c.env, page);
    const version = c.env.TETHER_VERSION ?? null;
    const body: ListClustersResponse = {
      items: page.map((r) => toClusterJson(r, c.var.now, live.get(r.cluster.name) ?? null, version)),
      nextCursor: records.length > limit && last ? encodeCursor(last.cluster.name) : null,
    };
    return c.json(body);
  })
  .get("/:name/events", async (c) => {
    const limit = parseLimit(c.req.query("limit"));
    const before = parseBefore(c.req.query("before"));
    const name = c.req.param("name");
    await requireCluster(c, name);
    const body: ListClusterEventsResponse = await listClusterEvents(c.var.db, name, before, limit);
    return c.json(body);
  })
  .get("/:name", async (c) => {
    const record = await requireCluster(c, c.req.param("name"));
    const live = await livePresence(c.env, [record]);
    const version = c.env.TETHER_VERSION ?? null;
    const body: ClusterDetail = {
      ...toClusterJson(record, c.var.now, live.get(record.cluster.name) ?? null, version),
      relays: await placementsOf(c.var.db, record.cluster.name),
    };
    return c.json(body);
  })
  .patch("/:name", async (c) => {
    const name = c.req.param("name");
    refuseImmutableFields(jsonBody(c));
    const input = validatedJson(c, PatchClusterRequest);
    const record = await requireCluster(c, name);
    const annotations =
      input.annotations === undefined
        ? clusterAnnotations(record)
        : applyAnnotationPatch(clusterAnnotations(record), input.annotations);
    if (input.annotations !== undefined) assertValidAnnotations(annotations);
    const changes = {
      displayName: input.displayName ?? record.cluster.displayName,
      description: input.description ?? record.cluster.description,
      annotations: JSON.stringify(annotations),
      local: input.local ?? record.cluster.local,
    };
    try {
      await c.var.db.update(clusters).set(changes).where(eq(clusters.name, name));
    } catch (err) {
      if (isUniqueViolation(err, "clusters.local")) throw localClusterExists();
      throw err;
    }
    // Annotations carry the cluster's own agent values.
    if (input.annotations !== undefined && record.agent !== null) {
      await pushValuesChanged(controlStubs(c.env.CONTROL), c.var.db, name);
    }
    return c.json(toClusterJson({ ...record, cluster: { ...record.cluster, ...changes } }, c.var.now));
  })
  .delete("/:name", async (c) => {
    const name = c.req.param("name");
    const record = await requireCluster(c, name);
    const { db } = c.var;
    // Who shows this cluster, read while it still exists; they drop it the moment it is gone.
    const { peering } = await loadConfig(db);
    const seeing = record.agent === null ? [] : await clustersSeeing(db, name, record.cluster.local, peering);
    // Its relay pairs too: their rows go with the cluster.
    const relayPeers = await relayPeersOf(db, name);
    // Agents and keys first: their credentials must stop working in the same transaction the cluster
    // disappears in (a later cluster of the same name must not inherit a values key).
    await db.batch([
      db.delete(agents).where(eq(agents.cluster, name)),
      db.delete(accessKeys).where(eq(accessKeys.cluster, name)),
      db.delete(psks).where(eq(psks.cluster, name)),
      clearRegisterFailures(db, name),
      deleteClusterEvents(db, name),
      db.delete(clusters).where(eq(clusters.name, name)),
    ]);
    const stubs = controlStubs(c.env.CONTROL);
    await Promise.all([
      closeRelays(c.env, db, name, relayPeers),
      stubs(name).revoke(),
      pushPeerRemoved(stubs, name, seeing),
    ]);
    return c.body(null, 204);
  })
  .post("/:name/revoke", async (c) => {
    const name = c.req.param("name");
    const record = await requireCluster(c, name);
    const { db, now } = c.var;
    await revokeClusterAgent(c.env, db, record, now);
    const revoked = await requireCluster(c, name); // deleted meanwhile: 404
    const body: RevokeClusterResponse = {
      ...toClusterJson(revoked, now, null, c.env.TETHER_VERSION ?? null),
      relays: await placementsOf(db, name),
    };
    return c.json(body);
  })
  .post("/:name/rotate-psk", async (c) => {
    const name = c.req.param("name");
    await requireCluster(c, name);
    const platformUrl = await platformUrlFor(c);
    const psk = newSecret("psk");
    const pskHash = await hashSecret(psk);
    const { db, now } = c.var;
    const valuesKey = await newClusterValuesKey(name, now);
    // A rotation answers a leaked connect command, which carried the values key too: the cluster's
    // earlier values keys go with the old PSK, in the same transaction the new ones appear.
    // A rotation is also the admin's answer to guessing: the old key's failures no longer mean anything.
    const [, , inserted] = await db.batch([
      // allowRebind: the next agent to prove the new PSK may replace the registered one.
      db
        .insert(psks)
        .values({ cluster: name, pskHash, rotatedAt: now, allowRebind: true })
        .onConflictDoUpdate({ target: psks.cluster, set: { pskHash, rotatedAt: now, allowRebind: true } }),
      db.delete(accessKeys).where(eq(accessKeys.cluster, name)),
      insertBoundKey(db, { ...valuesKey.row, cluster: name }),
      clearRegisterFailures(db, name),
      db
        .update(clusters)
        .set({ reason: "", message: "" })
        .where(and(eq(clusters.name, name), eq(clusters.reason, DUPLICATE_CLUSTER))),
      ...clusterEventStatements(db, name, now, [
        {
          type: "Normal",
          reason: CLUSTER_EVENT_REASONS.pskRotated,
          message:
            "The PSK was rotated: the old one no longer registers, and the next agent to register with the new one replaces the registered agent.",
        },
      ]),
    ]);
    if (inserted.meta.changes === 0) throw notFound(name); // deleted while rotating
    const body: RotatePskResponse = {
      psk,
      valuesKey: valuesKey.key,
      connect: connectFor(platformUrl, name, psk, valuesKey.key),
    };
    return c.json(body);
  });
