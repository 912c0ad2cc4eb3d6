import { DurableObject } from "cloudflare:workers";
import { and, eq, isNotNull } from "drizzle-orm";
import type { Netmap, NetmapPeer } from "../protocol/api.ts";
import { CLUSTER_EVENT_REASONS, ONLINE_WINDOW_SECONDS } from "../protocol/api.ts";
import {
  AgentMessage,
  CONTROL_PING,
  CONTROL_PONG,
  ControlClose,
  MAX_CONTROL_MESSAGE,
  parseMessage,
  type ServerMessage,
  type StatusMessage,
} from "../protocol/control.ts";
import { heartbeatEvents, previousHeartbeat } from "../worker/agents/heartbeat-events.ts";
import { applyNetmapDelta, buildNetmap } from "../worker/agents/netmap.ts";
import { controlStubs, pushPeerChanged } from "../worker/agents/push.ts";
import { reportedEndpoints } from "../worker/agents/reported-endpoints.ts";
import { realPeersOnly } from "../worker/agents/reported-peers.ts";
import { agentStatusUpdate } from "../worker/agents/status-row.ts";
import { clusterEventStatements, recordClusterEvent } from "../worker/clusters/events.ts";
import { isStringArray, parseJsonColumn } from "../worker/clusters/to-json.ts";
import { createDb, type Db } from "../worker/db/client.ts";
import { agents } from "../worker/db/schema.ts";
import { benchCountersEnabled, usage } from "../worker/db/usage-counters.ts";
import { loadConfig } from "../worker/values/platform-config.ts";
import { isSilent, lastSignOfLife } from "./control-presence.ts";

/**
 * One object per cluster, holding its agent's control WebSocket (docs/architecture.md,
 * "Control channel"). It hibernates between messages: the agent's pings are answered by the
 * runtime, so an idle connected agent wakes nothing and writes nothing. The object wakes for
 * what the agent sends (a status that changed), for what the Worker pushes (a peer changed,
 * values changed, the cluster went), and when someone asks for the agent's presence.
 *
 * D1 is written on transitions only: the channel opened, closed or was found silent, and a
 * status that changed. Everything the object must remember across hibernation lives on the
 * socket (attachment) or in its storage (the netmap the agent holds, so deltas can be versioned).
 */

/** Headers the Worker sets after it authenticated the agent; clients cannot reach the object directly. */
export const CONTROL_CLUSTER_HEADER = "x-tether-control-cluster";
export const CONTROL_SOURCE_HEADER = "x-tether-control-source";

interface ControlEnv {
  DB: D1Database;
  CONTROL: DurableObjectNamespace<ControlChannel>;
  TETHER_BENCH_COUNTERS?: string;
}

interface SocketAttachment {
  cluster: string;
  /** CF-Connecting-IP of the upgrade: the address the platform saw, paired with the agent's port. */
  source: string;
  connectedAt: number;
  /** Endpoints last written to D1 from this socket, to tell a change from a repeat. */
  endpoints: string[];
}

export interface ControlPresence {
  connected: boolean;
  /** The last sign of life (ms), or null without a socket. */
  lastSeen: number | null;
}

const NETMAP_KEY = "netmap";

function readAttachment(ws: WebSocket): SocketAttachment | null {
  const a = ws.deserializeAttachment() as Partial<SocketAttachment> | null;
  if (!a || typeof a.cluster !== "string" || typeof a.connectedAt !== "number") return null;
  return {
    cluster: a.cluster,
    source: typeof a.source === "string" ? a.source : "",
    connectedAt: a.connectedAt,
    endpoints: Array.isArray(a.endpoints) ? a.endpoints.filter((e) => typeof e === "string") : [],
  };
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closing
  }
}

export class ControlChannel extends DurableObject<ControlEnv> {
  private readonly db: Db;
  /** While a full netmap is being built, pushes only mark it stale; it is built again after. */
  private building: Promise<void> | null = null;
  private stale = false;

  constructor(ctx: DurableObjectState, env: ControlEnv) {
    super(ctx, env);
    this.db = createDb(env.DB, benchCountersEnabled(env));
    // Answered by the runtime without waking the object; the time of the answer is presence.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(CONTROL_PING, CONTROL_PONG));
  }

  override async fetch(request: Request): Promise<Response> {
    usage.doRequests++;
    const cluster = request.headers.get(CONTROL_CLUSTER_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !cluster) {
      return new Response("control expects an authenticated websocket upgrade", { status: 400 });
    }
    // A newer socket replaces an older one: the agent reconnected, and the old one is dead weight.
    for (const old of this.ctx.getWebSockets()) closeQuietly(old, ControlClose.replaced, "replaced");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now = Date.now();
    // Read first (one row, on connect only) to tell a reconnect of a present agent from its return.
    const before = await this.db.query.agents.findFirst({ where: eq(agents.cluster, cluster) });
    const wasPresent =
      before !== undefined &&
      before.connectedSince !== null &&
      now - (before.lastSeen ?? 0) <= ONLINE_WINDOW_SECONDS * 1000;
    // The endpoints on record, so a status that repeats them pushes nothing to the peers.
    const [row] = await this.db
      .update(agents)
      .set({ connectedSince: now, presenceAt: now, lastSeen: now })
      .where(eq(agents.cluster, cluster))
      .returning({ endpoints: agents.endpoints });
    if (row !== undefined && !wasPresent) {
      await recordClusterEvent(this.db, cluster, now, {
        type: "Normal",
        reason: CLUSTER_EVENT_REASONS.agentOnline,
        message: "The agent connected its control channel.",
      });
    }
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({
      cluster,
      source: request.headers.get(CONTROL_SOURCE_HEADER) ?? "",
      connectedAt: now,
      endpoints: row === undefined ? [] : parseJsonColumn(row.endpoints, isStringArray, []),
    } satisfies SocketAttachment);
    await this.sendFullNetmap();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    usage.doWebSocketMessagesIn++;
    const me = readAttachment(ws);
    const text = typeof message === "string" && message.length <= MAX_CONTROL_MESSAGE ? message : null;
    const parsed = text === null ? null : parseMessage(AgentMessage, text);
    if (me === null || parsed === null) {
      closeQuietly(ws, ControlClose.badMessage, "not a control message");
      return;
    }
    if (parsed.type === "resync") await this.sendFullNetmap();
    else await this.onStatus(ws, me, parsed);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, "closed");
    await this.wentAway(ws, Date.now());
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, 1011, "socket error");
    await this.wentAway(ws, Date.now());
  }

  /** Whether the agent is here now. A socket silent past the window is closed and written offline. */
  async presence(): Promise<ControlPresence> {
    usage.doRequests++;
    const now = Date.now();
    let best: ControlPresence = { connected: false, lastSeen: null };
    for (const ws of this.openSockets()) {
      const me = readAttachment(ws);
      if (me === null) continue;
      const lastSign = lastSignOfLife(me.connectedAt, this.ctx.getWebSocketAutoResponseTimestamp(ws));
      if (isSilent(lastSign, now)) {
        closeQuietly(ws, ControlClose.silent, "no ping within the presence window");
        await this.markOffline(me, lastSign);
        continue;
      }
      best = { connected: true, lastSeen: lastSign };
    }
    return best;
  }

  async push(upserts: NetmapPeer[], removes: string[]): Promise<void> {
    usage.doRequests++;
    const open = this.openSockets();
    if (open.length === 0) return;
    if (this.building !== null) {
      this.stale = true;
      return;
    }
    const held = await this.ctx.storage.get<Netmap>(NETMAP_KEY);
    if (held === undefined) {
      await this.sendFullNetmap();
      return;
    }
    const next = await applyNetmapDelta(held, upserts, removes);
    if (next.version === held.version) return;
    await this.ctx.storage.put(NETMAP_KEY, next);
    this.send({
      type: "netmap-delta",
      base: held.version,
      version: next.version,
      upserts: upserts.filter((p) => p.cluster !== held.self.cluster),
      removes,
    });
  }

  async resync(): Promise<void> {
    usage.doRequests++;
    if (this.openSockets().length > 0) await this.sendFullNetmap();
  }

  async valuesChanged(): Promise<void> {
    usage.doRequests++;
    this.send({ type: "values-changed" });
  }

  async revoke(): Promise<void> {
    usage.doRequests++;
    for (const ws of this.ctx.getWebSockets()) closeQuietly(ws, ControlClose.revoked, "credential revoked");
    await this.ctx.storage.delete(NETMAP_KEY);
  }

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  private send(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.openSockets()) {
      try {
        ws.send(text);
        usage.doWebSocketMessagesOut++;
      } catch {
        // closing: its close handler does the bookkeeping
      }
    }
  }

  /** Builds the agent's netmap from D1 and sends it whole; again if a push came in meanwhile. */
  private sendFullNetmap(): Promise<void> {
    if (this.building !== null) {
      this.stale = true;
      return this.building;
    }
    this.building = (async () => {
      do {
        this.stale = false;
        const cluster = this.openSockets().map(readAttachment)[0]?.cluster;
        if (cluster === undefined) return;
        const config = await loadConfig(this.db);
        let netmap: Netmap;
        try {
          netmap = await buildNetmap(this.db, cluster, config.peering, Date.now());
        } catch {
          // No live agent row any more: the cluster went while we were reading.
          for (const ws of this.ctx.getWebSockets())
            closeQuietly(ws, ControlClose.revoked, "no longer registered");
          return;
        }
        await this.ctx.storage.put(NETMAP_KEY, netmap);
        this.send({ type: "netmap", netmap });
      } while (this.stale);
    })().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  private async onStatus(ws: WebSocket, me: SocketAttachment, status: StatusMessage): Promise<void> {
    const now = Date.now();
    const { endpoints, observed } = reportedEndpoints(status, me.source || undefined);
    this.send({ type: "observed-endpoint", endpoint: observed });
    const held = await this.ctx.storage.get<Netmap>(NETMAP_KEY);
    const peers = held === undefined ? [] : realPeersOnly(status.peers, held);
    // Statuses come on change only, so reading the previous one for the events costs one row each.
    const previous = await this.db.query.agents.findFirst({ where: eq(agents.cluster, me.cluster) });
    if (previous === undefined) return;
    const events = heartbeatEvents(previousHeartbeat(previous), peers, status.values, now, false);
    await this.db.batch([
      agentStatusUpdate(
        this.db,
        me.cluster,
        { version: status.version, endpoints, peers, values: status.values },
        now,
      ),
      ...(events.length > 0 ? clusterEventStatements(this.db, me.cluster, now, events) : []),
    ]);
    const endpointsChanged = JSON.stringify(endpoints) !== JSON.stringify(me.endpoints);
    ws.serializeAttachment({ ...me, endpoints } satisfies SocketAttachment);
    if (endpointsChanged) {
      const config = await loadConfig(this.db);
      await pushPeerChanged(controlStubs(this.env.CONTROL), this.db, me.cluster, config.peering, now);
    }
  }

  private async wentAway(ws: WebSocket, now: number): Promise<void> {
    const me = readAttachment(ws);
    if (me === null) return;
    // Replaced by a newer socket: that one is the agent's presence now. The closing socket itself
    // is left out by its connect time: after an abnormal close (1006) it may still read as open.
    const newer = this.openSockets().some((other) => readAttachment(other)?.connectedAt !== me.connectedAt);
    if (newer) return;
    await this.markOffline(me, lastSignOfLife(me.connectedAt, this.autoResponseTime(ws) ?? new Date(now)));
  }

  private autoResponseTime(ws: WebSocket): Date | null {
    try {
      return this.ctx.getWebSocketAutoResponseTimestamp(ws);
    } catch {
      return null;
    }
  }

  /** One D1 write, and only if this socket's connection is the one on record. */
  private async markOffline(me: SocketAttachment, lastSeen: number): Promise<void> {
    const now = Date.now();
    const changed = await this.db
      .update(agents)
      .set({ connectedSince: null, presenceAt: now, lastSeen })
      .where(
        and(
          eq(agents.cluster, me.cluster),
          isNotNull(agents.connectedSince),
          eq(agents.connectedSince, me.connectedAt),
        ),
      )
      .returning({ cluster: agents.cluster });
    if (changed.length > 0) {
      await recordClusterEvent(this.db, me.cluster, now, {
        type: "Warning",
        reason: CLUSTER_EVENT_REASONS.agentOffline,
        message: "The agent's control channel closed or went silent.",
        at: lastSeen,
        detail: { lastSeen: new Date(lastSeen).toISOString() },
      });
    }
  }
}
