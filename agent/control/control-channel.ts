/**
 * The agent's side of its control channel: one WebSocket to GET /api/v1/agent/control that
 * carries pushed netmap deltas and values notices in, and status reports out.
 *
 * It pings every CONTROL_PING_MS (the platform's runtime answers without waking anything) and
 * gives the socket up when a pong does not come back within the interval. It reconnects with
 * jittered backoff after any close, except when the platform says the credential is dead
 * (401 at the upgrade, or a close with ControlClose.revoked): then it emits "revoked" and
 * stops, and the control client decides (register again, or stop the agent). While it is down
 * the control client falls back to the HTTP heartbeat.
 */
import { EventEmitter } from "node:events";
import WebSocket from "ws";
import {
  type AgentMessage,
  CONTROL_PING,
  CONTROL_PING_MS,
  ControlClose,
  MAX_CONTROL_MESSAGE,
  parseMessage,
  ServerMessage,
} from "../../protocol/control.ts";
import { agentFor } from "../transport/proxy-agent.ts";
import { Backoff } from "../util/backoff.ts";
import type { Cancel, Clock } from "../util/clock.ts";

/**
 * Reconnect backoff: full jitter from 0.5 s up to 10 s. A deploy drops every channel at once;
 * the jitter spreads the fleet's reconnects, and the cap bounds how long an agent stays on the
 * fallback after the platform is back.
 */
export const CONTROL_BACKOFF_BASE_MS = 500;
export const CONTROL_BACKOFF_MAX_MS = 10_000;

export interface ControlChannelOptions {
  platformUrl: string;
  credential: string;
  clock: Clock;
  pingIntervalMs?: number;
  backoff?: Backoff;
}

export interface ControlChannelEvents {
  open: [];
  message: [message: ServerMessage];
  /** The socket went (or never came up); the reason is for the log. */
  down: [reason: string];
  /** The platform refused the credential: do not reconnect with it. */
  revoked: [reason: string];
  /** A pong: the platform is there. */
  alive: [];
}

export class ControlChannel extends EventEmitter<ControlChannelEvents> {
  private ws: WebSocket | null = null;
  private open = false;
  private stopped = true;
  private cancelRetry: Cancel | null = null;
  private cancelPing: Cancel | null = null;
  private awaitingPong = false;
  private readonly backoff: Backoff;
  private readonly pingMs: number;
  /** Failed upgrades and closes since start (for the log and tests). */
  reconnects = 0;

  constructor(private readonly o: ControlChannelOptions) {
    super();
    this.backoff = o.backoff ?? new Backoff(CONTROL_BACKOFF_BASE_MS, CONTROL_BACKOFF_MAX_MS);
    this.pingMs = o.pingIntervalMs ?? CONTROL_PING_MS;
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, "agent stopping");
    else ws?.terminate();
  }

  /** Sends one message; false when the channel is not open (the caller falls back to HTTP). */
  send(message: AgentMessage): boolean {
    const ws = this.ws;
    if (!ws || !this.open) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  private url(): URL {
    const base = this.o.platformUrl.endsWith("/") ? this.o.platformUrl : `${this.o.platformUrl}/`;
    const u = new URL("api/v1/agent/control", base);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.url();
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.o.credential}` },
        agent: agentFor(url),
        maxPayload: MAX_CONTROL_MESSAGE * 4,
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
      });
    } catch (e) {
      this.wentDown(`control channel could not start: ${(e as Error).message}`);
      return;
    }
    this.ws = ws;
    ws.on("open", () => {
      if (this.ws !== ws) return;
      this.open = true;
      this.backoff.reset();
      this.startPing();
      this.emit("open");
    });
    ws.on("message", (data, isBinary) => {
      if (this.ws !== ws || isBinary) return;
      const text = data.toString();
      this.awaitingPong = false;
      if (text === "pong") {
        this.emit("alive");
        return;
      }
      const message = parseMessage(ServerMessage, text);
      if (message !== null) this.emit("message", message);
    });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (this.ws !== ws) return;
      this.ws = null;
      ws.terminate();
      // 401 is the platform refusing the credential; a 403 may be a proxy that forbids WebSockets.
      if (status === 401) {
        this.stopped = true;
        this.emit("revoked", `control channel refused: HTTP ${status}`);
        return;
      }
      this.wentDown(`control channel upgrade answered HTTP ${status}`);
    });
    ws.on("error", (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      ws.terminate();
      this.wentDown(`control channel error: ${e.message}`);
    });
    ws.on("close", (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (code === ControlClose.revoked) {
        this.open = false;
        this.stopPing();
        this.stopped = true;
        this.emit("revoked", `control channel closed: ${reason.toString() || "revoked"}`);
        return;
      }
      this.wentDown(`control channel closed (${code})`);
    });
  }

  private wentDown(reason: string): void {
    this.open = false;
    this.stopPing();
    this.emit("down", reason);
    if (this.stopped || this.cancelRetry) return;
    this.reconnects++;
    this.cancelRetry = this.o.clock.schedule(this.backoff.next(), () => {
      this.cancelRetry = null;
      this.connect();
    });
  }

  private startPing(): void {
    this.stopPing();
    this.awaitingPong = false;
    const tick = () => {
      const ws = this.ws;
      if (!ws || !this.open) return;
      if (this.awaitingPong) {
        // A whole interval without an answer: the path is dead even if TCP has not noticed.
        this.ws = null;
        ws.terminate();
        this.wentDown("control channel: no pong within the ping interval");
        return;
      }
      this.awaitingPong = true;
      ws.send(CONTROL_PING);
      this.cancelPing = this.o.clock.schedule(this.pingMs, tick);
    };
    this.cancelPing = this.o.clock.schedule(this.pingMs, tick);
  }

  private stopPing(): void {
    this.cancelPing?.();
    this.cancelPing = null;
  }
}
