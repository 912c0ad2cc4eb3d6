import { and, count, eq, gt, lte, min } from "drizzle-orm";
import { type Context, Hono } from "hono";
import {
  HeartbeatRequest,
  type HeartbeatResponse,
  MESH_PREFIX,
  type Netmap,
  REGISTER_FAILURE_LIMIT,
  REGISTER_FAILURE_WINDOW_SECONDS,
  RegisterRequest,
  type RegisterResponse,
} from "../../protocol/api.ts";
import { AWAITING_HEARTBEAT_SECONDS, hasAwaitedPeer } from "../agents/awaiting-peers.ts";
import { observedEndpoint } from "../agents/endpoint.ts";
import { buildNetmap, contentVersion } from "../agents/netmap.ts";
import { findClusterRecord } from "../clusters/records.ts";
import { clusterAnnotations } from "../clusters/to-json.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { agents, clusters, psks, registerFailures } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { validatedJson } from "../http/request-body.ts";
import { requireAgent } from "../middleware/auth/agent-credential.ts";
import { isDns1123Label } from "../names.ts";
import { closeRelaysOf } from "../relay/close-relays.ts";
import { hashSecret, newSecret, secretMatches } from "../secrets.ts";
import { annotationValues, effectiveValues } from "../values/effective-values.ts";
import { toYaml } from "../values/parse-yaml.ts";
import { loadConfig } from "../values/platform-config.ts";

const WINDOW_MS = REGISTER_FAILURE_WINDOW_SECONDS * 1000;

function noLongerRegistered(): HttpError {
  return new HttpError(401, "invalid_credential", "This agent is no longer registered.");
}

async function effectiveValuesYaml(c: Context<AppEnv>, cluster: string): Promise<string> {
  const record = await findClusterRecord(c.var.db, cluster);
  if (record === undefined) throw noLongerRegistered();
  const config = await loadConfig(c.var.db);
  return toYaml(effectiveValues(config, annotationValues(clusterAnnotations(record)).values));
}

async function netmapFor(c: Context<AppEnv>, cluster: string): Promise<Netmap> {
  const config = await loadConfig(c.var.db);
  return buildNetmap(c.var.db, cluster, config.peering, c.var.now);
}

/** PSK guessing is capped per cluster: after too many recent failures every attempt waits out the window. */
async function rejectWhileRateLimited(c: Context<AppEnv>, cluster: string): Promise<void> {
  const { db, now } = c.var;
  const [recent] = await db
    .select({ failures: count(), oldest: min(registerFailures.at) })
    .from(registerFailures)
    .where(and(eq(registerFailures.cluster, cluster), gt(registerFailures.at, now - WINDOW_MS)));
  if (recent === undefined || recent.failures < REGISTER_FAILURE_LIMIT) return;
  const retryAfter = Math.max(1, Math.ceil(((recent.oldest ?? now) + WINDOW_MS - now) / 1000));
  throw new HttpError(
    429,
    "rate_limited",
    `Too many failed registrations for cluster "${cluster}"; retry in ${retryAfter} s.`,
    { retryAfterSeconds: retryAfter },
    { "retry-after": String(retryAfter) },
  );
}

async function recordFailure(c: Context<AppEnv>, cluster: string, phase: string): Promise<void> {
  const { db, now } = c.var;
  const statements = [
    db.insert(registerFailures).values({ cluster, at: now }),
    db
      .delete(registerFailures)
      .where(and(eq(registerFailures.cluster, cluster), lte(registerFailures.at, now - WINDOW_MS))),
  ] as const;
  // Before the first successful registration this is the only signal the admin gets, so surface it.
  // Once an agent is running, a stray bad attempt must not flip a healthy cluster to Failed.
  if (phase !== "Initialized") {
    await db.batch([
      ...statements,
      db
        .update(clusters)
        .set({
          phase: "Failed",
          reason: "InvalidPSK",
          message: "An agent tried to register with a wrong pre-shared key.",
        })
        .where(eq(clusters.name, cluster)),
    ]);
  } else {
    await db.batch(statements);
  }
}

export const agentRoutes = new Hono<AppEnv>()
  .post("/register", async (c) => {
    const input = validatedJson(c, RegisterRequest);
    const { db, now } = c.var;
    const record = isDns1123Label(input.cluster) ? await findClusterRecord(db, input.cluster) : undefined;
    if (record === undefined) throw new HttpError(404, "not_found", `No cluster named "${input.cluster}".`);
    const name = record.cluster.name;
    await rejectWhileRateLimited(c, name);

    const pskRow = await db.query.psks.findFirst({ where: eq(psks.cluster, name) });
    if (pskRow === undefined || !(await secretMatches(input.psk, pskRow.pskHash))) {
      await recordFailure(c, name, record.cluster.phase);
      throw new HttpError(
        401,
        "invalid_psk",
        `The pre-shared key for cluster "${name}" is wrong or was rotated.`,
      );
    }

    const existing = await db.query.agents.findFirst({ where: eq(agents.cluster, name) });
    if (existing !== undefined && !existing.revoked && existing.clusterUid !== input.clusterUid) {
      throw new HttpError(
        409,
        "cluster_uid_conflict",
        `Cluster "${name}" is already registered by a different physical cluster (cluster UID mismatch); delete and recreate it to move it.`,
      );
    }

    // A fresh credential on every registration; overwriting the hash revokes the previous one.
    const credential = newSecret("agentCredential");
    const credentialHash = await hashSecret(credential);
    const endpoints = JSON.stringify(input.endpoints ?? []);
    const registration = {
      publicKey: input.publicKey,
      credentialHash,
      clusterUid: input.clusterUid,
      version: input.version,
      endpoints,
      lastSeen: now,
      revoked: false,
    };
    try {
      await db.batch([
        db
          .insert(agents)
          .values({ cluster: name, ...registration, peerStats: "[]", createdAt: now })
          .onConflictDoUpdate({ target: agents.cluster, set: registration }),
        db
          .update(clusters)
          .set({ phase: "Initialized", reason: "", message: "" })
          .where(eq(clusters.name, name)),
        db.delete(registerFailures).where(eq(registerFailures.cluster, name)),
      ]);
    } catch (err) {
      if (isUniqueViolation(err, "agents.public_key")) {
        throw new HttpError(
          409,
          "public_key_in_use",
          "This WireGuard public key is registered to another cluster.",
        );
      }
      throw err;
    }
    // The previous credential is dead now; so must be any relay socket opened with it.
    if (existing !== undefined && !existing.revoked) await closeRelaysOf(c.env, db, name);
    const body: RegisterResponse = {
      credential,
      meshIp: record.cluster.meshIp,
      cluster: name,
      meshPrefix: MESH_PREFIX,
    };
    return c.json(body);
  })
  .use("/heartbeat", requireAgent())
  .use("/netmap", requireAgent())
  .use("/values", requireAgent())
  .post("/heartbeat", async (c) => {
    const input = validatedJson(c, HeartbeatRequest);
    const { db, now } = c.var;
    const { cluster } = c.var.agent;
    const observed = observedEndpoint(c.req.header("cf-connecting-ip"), input.listenPort);
    // The address the platform saw comes first: behind a NAT it is the one a peer can reach.
    const endpoints = observed
      ? [observed, ...input.endpoints.filter((e) => e !== observed)]
      : input.endpoints;
    await db.batch([
      db
        .update(agents)
        .set({
          version: input.version,
          endpoints: JSON.stringify(endpoints.slice(0, 32)),
          peerStats: JSON.stringify(input.peers),
          lastSeen: now,
        })
        .where(eq(agents.cluster, cluster)),
      db
        .update(clusters)
        .set({ phase: "Initialized", reason: "", message: "" })
        .where(eq(clusters.name, cluster)),
    ]);
    const config = await loadConfig(db);
    const [netmap, values, awaited] = await Promise.all([
      buildNetmap(db, cluster, config.peering, now),
      effectiveValuesYaml(c, cluster),
      hasAwaitedPeer(db, cluster, config.peering, now),
    ]);
    const body: HeartbeatResponse = {
      netmapVersion: netmap.version,
      valuesVersion: await contentVersion(values),
      observedEndpoint: observed,
      ...(awaited ? { heartbeatSeconds: AWAITING_HEARTBEAT_SECONDS } : {}),
    };
    return c.json(body);
  })
  .get("/netmap", async (c) => c.json(await netmapFor(c, c.var.agent.cluster)))
  .get("/values", async (c) =>
    c.body(await effectiveValuesYaml(c, c.var.agent.cluster), 200, {
      "content-type": "application/yaml; charset=utf-8",
    }),
  );
