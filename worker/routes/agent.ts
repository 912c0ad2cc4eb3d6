import { eq, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { CONTROL_CLUSTER_HEADER, CONTROL_SOURCE_HEADER } from "../../durable-objects/control-channel.ts";
import {
  CLUSTER_EVENT_REASONS,
  DUPLICATE_CLUSTER,
  HeartbeatRequest,
  type HeartbeatResponse,
  MESH_PREFIX,
  type Netmap,
  RegisterRequest,
  type RegisterResponse,
} from "../../protocol/api.ts";
import { acceptableCandidates } from "../agents/candidates.ts";
import { heartbeatEvents, previousHeartbeat } from "../agents/heartbeat-events.ts";
import { buildNetmap, contentVersion } from "../agents/netmap.ts";
import { controlStubs, pushPeerChanged } from "../agents/push.ts";
import { clearRegisterFailures, recordRegisterFailure, UNKNOWN_SOURCE } from "../agents/register-limit.ts";
import { reportedEndpoints } from "../agents/reported-endpoints.ts";
import { realPeersOnly } from "../agents/reported-peers.ts";
import { agentStatusUpdate } from "../agents/status-row.ts";
import { clusterEventIfExistsStatements, clusterEventStatements } from "../clusters/events.ts";
import { type AgentRow, type ClusterRecord, findClusterRecord } from "../clusters/records.ts";
import { clusterAnnotations } from "../clusters/to-json.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { agents, clusters, psks } from "../db/schema.ts";
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

/** Hashed when the name is unknown, so an unknown name costs the same work as a wrong PSK. */
const NO_SUCH_PSK_HASH = "0".repeat(64);

/**
 * One answer for every failed proof, whether the name exists or not: telling them apart would
 * let anyone list cluster names.
 */
function invalidPsk(): HttpError {
  return new HttpError(
    401,
    "invalid_psk",
    "The cluster name or its pre-shared key is wrong, or the key was rotated.",
  );
}

function rateLimited(retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    "rate_limited",
    `Too many failed registrations from this address; retry in ${retryAfterSeconds} s.`,
    { retryAfterSeconds },
    { "retry-after": String(retryAfterSeconds) },
  );
}

/** The cluster whose PSK was proved, and whether a rotation allows its agent to be replaced. */
interface Proof {
  record: ClusterRecord;
  allowRebind: boolean;
}

/** The PSK proof. Unauthenticated guesses never change the cluster (no Failed phase from them). */
async function proveOrCount(c: Context<AppEnv>, input: RegisterRequest): Promise<Proof> {
  const { db, now } = c.var;
  // Both reads for every well-formed name, known or not, so the time taken does not tell them apart
  // (a malformed name is refused faster, but that says nothing about which clusters exist).
  const [record, pskRow] = isDns1123Label(input.cluster)
    ? await Promise.all([
        findClusterRecord(db, input.cluster),
        db.query.psks.findFirst({ where: eq(psks.cluster, input.cluster) }),
      ])
    : [undefined, undefined];
  const matches = await secretMatches(input.psk, pskRow?.pskHash ?? NO_SUCH_PSK_HASH);
  if (record !== undefined && pskRow !== undefined && matches) {
    return { record, allowRebind: pskRow.allowRebind };
  }
  const source = (c.req.header("cf-connecting-ip")?.trim() || UNKNOWN_SOURCE).slice(0, 64);
  const verdict = await recordRegisterFailure(db, source, input.cluster, now);
  if (!verdict.counted) throw rateLimited(verdict.retryAfterSeconds);
  // Into the cluster's history when the name exists; the same statements run for unknown names.
  if (isDns1123Label(input.cluster)) {
    await db.batch(
      clusterEventIfExistsStatements(db, input.cluster, now, {
        type: "Warning",
        reason: CLUSTER_EVENT_REASONS.invalidPsk,
        message:
          "A registration with a wrong PSK was refused. If it is your agent, rotate the PSK and run the new connect command.",
        detail: { source, clusterUid: input.clusterUid.slice(0, 128), version: input.version },
      }),
    );
  }
  throw invalidPsk();
}

function registeredEvent(input: RegisterRequest, existing: AgentRow | undefined, rebound: boolean) {
  const message =
    existing === undefined
      ? `An agent registered (version ${input.version}).`
      : rebound
        ? `A new agent identity registered with the rotated PSK and replaced the previous one (cluster UID ${existing.clusterUid.slice(0, 64)} -> ${input.clusterUid.slice(0, 64)}).`
        : `The agent registered again (version ${input.version}).`;
  return {
    type: "Normal" as const,
    reason: CLUSTER_EVENT_REASONS.registered,
    message,
    detail: {
      version: input.version,
      clusterUid: input.clusterUid.slice(0, 128),
      publicKey: input.publicKey,
      rebound,
    },
  };
}

/** The identity changed: what the platform kept about the old agent is no longer about this one. */
function identityChanged(existing: AgentRow | undefined, input: RegisterRequest): boolean {
  return (
    existing !== undefined &&
    (existing.publicKey !== input.publicKey || existing.clusterUid !== input.clusterUid)
  );
}

export const agentRoutes = new Hono<AppEnv>()
  .post("/register", async (c) => {
    const input = validatedJson(c, RegisterRequest);
    const { db, now } = c.var;
    const { record, allowRebind } = await proveOrCount(c, input);
    const name = record.cluster.name;

    const existing = await db.query.agents.findFirst({ where: eq(agents.cluster, name) });
    const secondCluster =
      existing !== undefined && !existing.revoked && existing.clusterUid !== input.clusterUid;
    // A PSK rotation since the registered agent proved it is the admin's consent to re-bind.
    if (secondCluster && !allowRebind) {
      // The PSK was right, so this is someone holding the cluster's key: the admin must hear of it,
      // in the cluster's status, not only the refused agent. The phase stays: the first agent is fine.
      const message = `A second physical cluster (cluster UID ${input.clusterUid.slice(0, 64)}) tried to register as "${name}" at ${new Date(now).toISOString()} and was refused. Rotate the PSK if it was not meant to have it.`;
      await db.batch([
        db
          .update(clusters)
          .set({ reason: DUPLICATE_CLUSTER, reasonAt: now, message })
          .where(eq(clusters.name, name)),
        ...clusterEventStatements(db, name, now, [
          {
            type: "Warning",
            reason: CLUSTER_EVENT_REASONS.duplicateCluster,
            message,
            detail: { clusterUid: input.clusterUid.slice(0, 128), registeredClusterUid: existing.clusterUid },
          },
        ]),
      ]);
      throw new HttpError(
        409,
        "cluster_uid_conflict",
        `Cluster "${name}" is already registered by a different physical cluster (cluster UID mismatch); rotate its PSK to move it: the next agent to register with the new PSK replaces the registered one.`,
      );
    }
    const rebound = identityChanged(existing, input);

    // A fresh credential on every registration; overwriting the hash revokes the previous one.
    const credential = newSecret("agentCredential");
    const credentialHash = await hashSecret(credential);
    const endpoints = JSON.stringify(
      acceptableCandidates(input.endpoints ?? [], c.req.header("cf-connecting-ip")),
    );
    const registration = {
      publicKey: input.publicKey,
      credentialHash,
      clusterUid: input.clusterUid,
      version: input.version,
      endpoints,
      lastSeen: now,
      registeredAt: now,
      connectedSince: null,
      presenceAt: now,
      revoked: false,
      // Peers and the values report were the old identity's (or from before a revocation).
      ...(rebound || existing?.revoked ? { peerStats: "[]", valuesReport: null } : {}),
    };
    try {
      await db.batch([
        db
          .insert(agents)
          .values({ cluster: name, ...registration, peerStats: "[]", createdAt: now })
          .onConflictDoUpdate({ target: agents.cluster, set: registration }),
        db
          .update(clusters)
          // A registration with a rotated PSK is the way back from a revocation.
          .set({ phase: "Initialized", reason: "", message: "", credentialRevokedAt: null })
          .where(eq(clusters.name, name)),
        clearRegisterFailures(db, name),
        // The rotation's consent is spent on this registration.
        db.update(psks).set({ allowRebind: false }).where(eq(psks.cluster, name)),
        ...clusterEventStatements(db, name, now, [registeredEvent(input, existing, rebound)]),
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
    // The previous credential is dead now; so must be any relay or control socket opened with it.
    const stubs = controlStubs(c.env.CONTROL);
    if (existing !== undefined && !existing.revoked) {
      await Promise.all([closeRelaysOf(c.env, db, name), stubs(name).revoke()]);
    }
    // The peers that show this cluster learn its (new) key now, not at their next heartbeat.
    const { peering } = await loadConfig(db);
    await pushPeerChanged(stubs, db, name, peering, now);
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
    const source = c.req.header("cf-connecting-ip");
    const { observed, endpoints } = reportedEndpoints(input, source);
    const config = await loadConfig(db);
    // Built before the write: the write changes only this agent's own row, which the netmap does not show.
    const netmap = await buildNetmap(db, cluster, config.peering, now);
    const peers = realPeersOnly(input.peers, netmap);
    const before = c.var.agent.row;
    const events = heartbeatEvents(previousHeartbeat(before), peers, input.values, now);
    const endpointsText = JSON.stringify(endpoints);
    await db.batch([
      agentStatusUpdate(db, cluster, { version: input.version, endpoints, peers, values: input.values }, now),
      db
        .update(clusters)
        .set({
          phase: "Initialized",
          // A refused duplicate stays on show until the admin rotates the PSK (see register).
          reason: sql`case when ${clusters.reason} = ${DUPLICATE_CLUSTER} then ${clusters.reason} else '' end`,
          message: sql`case when ${clusters.reason} = ${DUPLICATE_CLUSTER} then ${clusters.message} else '' end`,
        })
        .where(eq(clusters.name, cluster)),
      ...(events.length > 0 ? clusterEventStatements(db, cluster, now, events) : []),
    ]);
    // An agent on the fallback heartbeat moved: peers on their channels hear of it now.
    if (before !== undefined && before.endpoints !== endpointsText) {
      await pushPeerChanged(controlStubs(c.env.CONTROL), db, cluster, config.peering, now);
    }
    const values = await effectiveValuesYaml(c, cluster);
    const body: HeartbeatResponse = {
      netmapVersion: netmap.version,
      valuesVersion: await contentVersion(values),
      observedEndpoint: observed,
    };
    return c.json(body);
  })
  .use("/control", requireAgent())
  .get("/control", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(
        426,
        "upgrade_required",
        "The control channel speaks WebSocket only (Upgrade: websocket).",
        undefined,
        {
          upgrade: "websocket",
        },
      );
    }
    // Only what the Worker vouches for reaches the object: the cluster from the credential and
    // the address the platform saw; nothing the client sent is passed through.
    const { cluster } = c.var.agent;
    const headers = new Headers({ upgrade: "websocket" });
    headers.set(CONTROL_CLUSTER_HEADER, cluster);
    headers.set(CONTROL_SOURCE_HEADER, c.req.header("cf-connecting-ip")?.trim() ?? "");
    const stub = c.env.CONTROL.get(c.env.CONTROL.idFromName(cluster));
    return stub.fetch(new Request("https://control.internal/connect", { headers }));
  })
  .get("/netmap", async (c) => c.json(await netmapFor(c, c.var.agent.cluster)))
  .get("/values", async (c) =>
    c.body(await effectiveValuesYaml(c, c.var.agent.cluster), 200, {
      "content-type": "application/yaml; charset=utf-8",
    }),
  );
