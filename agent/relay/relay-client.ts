import { EventEmitter } from "node:events";
import WebSocket from "ws";
import { decodeRelayFrame, encodeRelayFrames, RELAY_PING, RelayClose } from "../../protocol/relay.ts";
import { agentFor } from "../transport/proxy-agent.ts";
import { Backoff } from "./backoff.ts";

/**
 * The agent's side of one pair relay: a WebSocket to `/relay/<peer>` that
 * carries WireGuard datagrams when direct UDP does not work.
 *
 * It reconnects forever with jittered backoff after any close (deploys drop
 * every socket), except when the platform says the credential or the pairing
 * is no longer valid. Datagrams handed to send() while the socket is down are
 * dropped, as a lossy link would: WireGuard and TCP above recover, and an
 * unbounded queue would only replay stale traffic later.
 */

export type RelayState = "connecting" | "open" | "closed";

/** Totals across every relay client of an agent (each reconnect or peer gets a new client). */
export interface RelayTotals {
  relayFramesOut: number;
  relayFramesIn: number;
  relayPings: number;
}

export interface RelayClientOptions {
  platformUrl: string;
  peer: string;
  credential: string;
  /** Called for every datagram the peer sent us through the relay. */
  onDatagram: (datagram: Uint8Array) => void;
  /** Seconds between liveness pings; a missed pong for the same span reconnects. */
  pingIntervalMs?: number;
  backoff?: Backoff;
  /** Past this many bytes buffered in the socket, new datagrams are dropped instead of queued. */
  maxBufferedBytes?: number;
  /** Added to as frames and pings go by, besides this client's own counters. */
  totals?: RelayTotals;
}

export interface RelayClientEvents {
  open: [];
  close: [code: number, reason: string];
  /** The platform refused us for good (401/403/404, or revoked): the agent must re-register or stop. */
  refused: [status: number, message: string];
  error: [error: Error];
}

export class RelayClient extends EventEmitter<RelayClientEvents> {
  state: RelayState = "closed";
  sentDatagrams = 0;
  receivedDatagrams = 0;
  /** WebSocket messages: what the relay object is billed and rate-limited on (datagrams are batched into them). */
  sentFrames = 0;
  receivedFrames = 0;
  /** Liveness pings sent; the runtime answers them without waking the object. */
  sentPings = 0;
  droppedDatagrams = 0;
  malformedFrames = 0;
  reconnects = 0;

  private ws: WebSocket | null = null;
  private stopped = true;
  private queue: Uint8Array[] = [];
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private readonly backoff: Backoff;
  private readonly pingIntervalMs: number;
  private readonly maxBuffered: number;

  constructor(private readonly opts: RelayClientOptions) {
    super();
    this.backoff = opts.backoff ?? new Backoff();
    this.pingIntervalMs = opts.pingIntervalMs ?? 15_000;
    this.maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    this.state = "closed";
    if (ws) {
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
    }
  }

  /**
   * Stops for good with a WebSocket close (1000), so the relay sees this side leave instead of a
   * dropped connection; waits for the relay's answering close up to `timeoutMs`, then drops it.
   */
  async close(timeoutMs = 1_000): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this.stop();
      return;
    }
    this.ws = null;
    this.stop();
    ws.removeAllListeners();
    ws.on("error", () => {});
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, "agent stopping");
    });
  }

  /** Drops the current socket and reconnects (used by tests and when the network changed). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.ws?.terminate();
  }

  /** Queues one datagram; a batch goes out as one frame on the next turn of the event loop. */
  send(datagram: Uint8Array): boolean {
    const ws = this.ws;
    if (this.state !== "open" || !ws || ws.bufferedAmount > this.maxBuffered) {
      this.droppedDatagrams++;
      return false;
    }
    this.queue.push(datagram);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const ws = this.ws;
    if (!ws || this.state !== "open") {
      this.droppedDatagrams += batch.length;
      return;
    }
    for (const frame of encodeRelayFrames(batch)) {
      ws.send(frame, { binary: true });
      this.sentFrames++;
      if (this.opts.totals) this.opts.totals.relayFramesOut++;
    }
    this.sentDatagrams += batch.length;
  }

  private relayUrl(): URL {
    const u = new URL(`relay/${encodeURIComponent(this.opts.peer)}`, withSlash(this.opts.platformUrl));
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u;
  }

  private connect(): void {
    if (this.stopped) return;
    this.state = "connecting";
    const url = this.relayUrl();
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.opts.credential}` },
        agent: agentFor(url),
        maxPayload: 1024 * 1024,
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
      });
    } catch (e) {
      this.emit("error", e as Error);
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = "nodebuffer";
    this.ws = ws;
    ws.on("open", () => {
      this.state = "open";
      this.backoff.reset();
      this.startPing();
      this.emit("open");
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        this.awaitingPong = false;
        return;
      }
      const buf = data as Buffer;
      const datagrams = decodeRelayFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      if (!datagrams) {
        this.malformedFrames++;
        return;
      }
      this.receivedFrames++;
      if (this.opts.totals) this.opts.totals.relayFramesIn++;
      this.receivedDatagrams += datagrams.length;
      for (const d of datagrams) this.opts.onDatagram(d);
    });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on("end", () => {
        const message = errorMessage(body) ?? `HTTP ${status}`;
        if (status === 401 || status === 403 || status === 404) {
          this.stop();
          this.emit("refused", status, message);
        } else {
          this.emit("error", new Error(`relay upgrade failed: ${message}`));
          ws.terminate();
        }
      });
    });
    ws.on("error", (e) => this.emit("error", e));
    ws.on("close", (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.state = "closed";
      this.stopPing();
      this.emit("close", code, reason.toString());
      if (code === RelayClose.revoked) {
        this.stop();
        this.emit("refused", 401, "relay credential revoked");
        return;
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    this.reconnects++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.backoff.next());
    this.retryTimer.unref();
  }

  private startPing(): void {
    this.stopPing();
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (this.awaitingPong) {
        // A whole interval without "pong": the path is dead even if TCP has not noticed.
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      this.sentPings++;
      if (this.opts.totals) this.opts.totals.relayPings++;
      ws.send(RELAY_PING);
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}

function withSlash(u: string): string {
  return u.endsWith("/") ? u : `${u}/`;
}

function errorMessage(body: string): string | null {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof j.error?.message === "string" ? j.error.message : null;
  } catch {
    return null;
  }
}
