import { DurableObject } from "cloudflare:workers";
import {
  RELAY_FRAME_ACCEPTED,
  RELAY_FRAME_ADVERTISED,
  RELAY_PING,
  RELAY_PONG,
  RelayClose,
  type RelayHello,
} from "../protocol/relay.ts";
import { RelayPlacement } from "../protocol/relay-placement.ts";

/**
 * One object per pair of agents. It forwards binary frames from one side to the
 * other, unread: they carry WireGuard datagrams, encrypted end to end.
 *
 * Bookkeeping lives on the sockets themselves (a tag per side plus a small
 * attachment), never in instance fields, because the Hibernation API may evict
 * the object between any two messages and rebuild it from the sockets alone.
 * Counters live in the object's SQLite storage for the same reason.
 */

/** Headers the Worker sets after it has authenticated the agent; clients cannot reach the object directly. */
export const RELAY_SIDE_HEADER = "x-tether-relay-side";
export const RELAY_PEER_HEADER = "x-tether-relay-peer";
/** The pair's placement (JSON RelayPlacement) as the Worker recorded it; passed on to agents in the hello. */
export const RELAY_PLACEMENT_HEADER = "x-tether-relay-placement";

function placementFrom(header: string | null): RelayPlacement | null {
  if (!header) return null;
  try {
    const r = RelayPlacement.safeParse(JSON.parse(header));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

interface SideAttachment {
  side: string;
  peer: string;
  connectedAt: number;
}

export interface RelayStats {
  sides: string[];
  /** Since the object last woke up (in memory only). */
  forwardedFrames: number;
  forwardedBytes: number;
  droppedNoPeer: number;
  droppedOversize: number;
  droppedText: number;
}

type Counter =
  | "forwarded_frames"
  | "forwarded_bytes"
  | "dropped_no_peer"
  | "dropped_oversize"
  | "dropped_text";

function readAttachment(ws: WebSocket): SideAttachment | null {
  // Attachments survive hibernation but are only as trustworthy as what we
  // wrote; read them defensively so a missing one never throws mid-forward.
  const a = ws.deserializeAttachment() as Partial<SideAttachment> | null;
  if (!a || typeof a.side !== "string" || typeof a.peer !== "string") return null;
  return { side: a.side, peer: a.peer, connectedAt: typeof a.connectedAt === "number" ? a.connectedAt : 0 };
}

export class PairRelay extends DurableObject<unknown> {
  // Forwarding counters are kept in memory: they are informational, and a
  // storage write per frame would cost more than the forward itself. Drops are
  // rare and worth keeping across evictions, so those go to storage.
  private forwardedFrames = 0;
  private forwardedBytes = 0;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    // Answered by the runtime without waking the object: liveness costs nothing.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(RELAY_PING, RELAY_PONG));
  }

  override async fetch(request: Request): Promise<Response> {
    const side = request.headers.get(RELAY_SIDE_HEADER);
    const peer = request.headers.get(RELAY_PEER_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !side || !peer || side === peer) {
      return new Response("relay expects an authenticated websocket upgrade", { status: 400 });
    }
    // A second socket from the same side replaces the first: the agent
    // reconnected (network change, restart) and the old socket is dead weight.
    for (const old of this.ctx.getWebSockets(side)) {
      try {
        old.close(RelayClose.replaced, "replaced by a newer connection");
      } catch {
        // already closing
      }
    }
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    this.ctx.acceptWebSocket(server, [side]);
    server.serializeAttachment({ side, peer, connectedAt: Date.now() } satisfies SideAttachment);
    // The handshake: how large a frame to batch up to, and where this object was placed.
    const hello: RelayHello = {
      type: "hello",
      maxFrame: RELAY_FRAME_ADVERTISED,
      placement: placementFrom(request.headers.get(RELAY_PLACEMENT_HEADER)),
    };
    server.send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message === "string") {
      // "ping" never arrives here (auto-response); anything else is a protocol error.
      this.bump("dropped_text", 1);
      ws.close(RelayClose.unsupportedData, "binary frames only");
      return;
    }
    if (message.byteLength > RELAY_FRAME_ACCEPTED) {
      this.bump("dropped_oversize", 1);
      ws.close(RelayClose.tooBig, `frame over ${RELAY_FRAME_ACCEPTED} bytes`);
      return;
    }
    const me = readAttachment(ws);
    if (!me) {
      ws.close(1011, "lost relay state");
      return;
    }
    const target = this.currentSocket(me.peer);
    if (!target) {
      this.bump("dropped_no_peer", 1);
      return;
    }
    try {
      target.send(message);
      this.forwardedFrames++;
      this.forwardedBytes += message.byteLength;
    } catch {
      this.bump("dropped_no_peer", 1);
    }
  }

  override async webSocketClose(
    ws: WebSocket,
    code: number,
    _reason: string,
    _wasClean: boolean,
  ): Promise<void> {
    // Complete the closing handshake; 1005/1006 cannot be sent on the wire.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    try {
      ws.close(1011, "socket error");
    } catch {
      // already closed
    }
  }

  /** Closes every socket of `side` (cluster deleted or credential revoked). Returns how many were closed. */
  async revoke(side: string): Promise<number> {
    let n = 0;
    for (const ws of this.ctx.getWebSockets(side)) {
      try {
        ws.close(RelayClose.revoked, "credential revoked");
      } catch {
        // already closing
      }
      n++;
    }
    return n;
  }

  /** Closes both sides (the peering policy no longer pairs them). Returns how many sockets were closed. */
  async unpair(): Promise<number> {
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(RelayClose.policy, "the peering policy no longer pairs these clusters");
      } catch {
        // already closing
      }
      n++;
    }
    return n;
  }

  async stats(): Promise<RelayStats> {
    this.ensureCounters();
    const rows = this.ctx.storage.sql
      .exec<{ name: string; value: number }>("SELECT name, value FROM counters")
      .toArray();
    const get = (n: Counter) => rows.find((r) => r.name === n)?.value ?? 0;
    const sides = this.ctx
      .getWebSockets()
      .filter((ws) => ws.readyState === WebSocket.OPEN)
      .map((ws) => readAttachment(ws)?.side)
      .filter((s): s is string => typeof s === "string")
      .sort();
    return {
      sides,
      forwardedFrames: this.forwardedFrames,
      forwardedBytes: this.forwardedBytes,
      droppedNoPeer: get("dropped_no_peer"),
      droppedOversize: get("dropped_oversize"),
      droppedText: get("dropped_text"),
    };
  }

  private currentSocket(side: string): WebSocket | null {
    // After a replacement the old socket may linger in CLOSING; only an open one counts.
    const open = this.ctx.getWebSockets(side).filter((ws) => ws.readyState === WebSocket.OPEN);
    return open[open.length - 1] ?? null;
  }

  // Created on first use, not in the constructor: revoke() wakes the object of every pair a
  // deleted cluster could have had, and most of those never carried a socket.
  private ensureCounters(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)",
    );
  }

  private bump(name: Counter, by: number): void {
    this.ensureCounters();
    this.ctx.storage.sql.exec(
      "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
      name,
      by,
    );
  }
}
