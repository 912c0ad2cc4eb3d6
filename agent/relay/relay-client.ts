import { EventEmitter } from "node:events";
import WebSocket from "ws";
import {
  decodeRelayFrame,
  encodeRelayFrames,
  parseRelayHello,
  RELAY_FRAME_DEFAULT,
  RELAY_PING,
  RelayClose,
} from "../../protocol/relay.ts";
import type { RelayPlacement } from "../../protocol/relay-placement.ts";
import { agentFor } from "../transport/proxy-agent.ts";
import { Backoff } from "../util/backoff.ts";

/**
 * The agent's side of one pair relay: a WebSocket to `/relay/<peer>` that
 * carries WireGuard datagrams when direct UDP does not work.
 *
 * It reconnects forever with jittered backoff after any close, except when
 * the platform says the credential or the pairing is no longer valid. A clean
 * close for a deploy or a restart (1001 going away, 1012 service restart) is
 * no failure: it reconnects at once. reconnectNow() makes the new socket
 * before it breaks the old one. Datagrams handed to send() while the socket is
 * down are dropped, as a lossy link would: WireGuard and TCP above recover,
 * and an unbounded queue would only replay stale traffic later.
 *
 * Batching: datagrams queue until the next turn of the event loop and go out
 * as frames of at most the size the relay's hello allowed. While a frame is
 * still being written to the socket, new datagrams wait for that write to end
 * and go out together (TCP ACKs and data behind a busy socket coalesce), but a
 * lone datagram on an idle socket goes out on the next turn: no timer.
 */

/** Closes after which the relay itself is coming back (a deploy, an eviction): reconnect at once. */
const CLEAN_RESTART_CODES = new Set([1001, 1012]);
/** A WireGuard datagram this small carries no payload to speak of: a pure TCP ACK (96 bytes) or a keepalive. */
const SMALL_DATAGRAM = 128;
/** How recently a frame must have arrived for the path to count as busy receiving. */
const ACK_HOLD_BUSY_MS = 20;
/** How long ACKs wait on a busy path to share a message. */
const ACK_HOLD_MS = 1;
/** Largest frame this client takes from the relay, and so the most it batches itself. */
const MAX_PAYLOAD = 1024 * 1024;

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
  /** Frame size the current socket's relay allowed in its hello (RELAY_FRAME_DEFAULT until then). */
  maxFrame = RELAY_FRAME_DEFAULT;
  /** Where the relay said the pair's object lives (from its hello). */
  placement: RelayPlacement | null = null;
  droppedDatagrams = 0;
  malformedFrames = 0;
  reconnects = 0;

  private ws: WebSocket | null = null;
  /** A socket being made to replace `ws` (make-before-break); swapped in when it opens. */
  private pending: WebSocket | null = null;
  private writesInFlight = 0;
  private lastFrameInAt = Number.NEGATIVE_INFINITY;
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
    for (const s of [ws, this.pending]) {
      if (!s) continue;
      s.removeAllListeners();
      s.on("error", () => {});
      s.terminate();
    }
    this.pending = null;
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

  /**
   * Reconnects (the network changed, or a test asks): make before break. A new socket is
   * opened while the old one keeps carrying datagrams, and replaces it once open (the relay
   * then closes the old one with 4000). With no open socket, it connects at once.
   */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.state !== "open" || this.pending) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.connect();
      } else if (this.state !== "open") this.ws?.terminate();
      return;
    }
    this.reconnects++;
    this.connect(true);
  }

  /** Queues one datagram; a batch goes out as one frame on the next turn of the event loop. */
  send(datagram: Uint8Array): boolean {
    const ws = this.ws;
    if (this.state !== "open" || !ws || ws.bufferedAmount > this.maxBuffered) {
      this.droppedDatagrams++;
      return false;
    }
    this.queue.push(datagram);
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writesInFlight > 0 || this.queue.length === 0) return;
    this.flushScheduled = true;
    // Only small datagrams (pure TCP ACKs, keepalives) while frames are pouring in: the path
    // is busy, and the next incoming frame will ask for more ACKs; wait a moment so they share
    // one message. A lone packet on a quiet path still goes out on the next turn.
    const receiving = Date.now() - this.lastFrameInAt <= ACK_HOLD_BUSY_MS;
    if (receiving && this.queue.every((d) => d.length <= SMALL_DATAGRAM)) {
      setTimeout(() => this.flush(), ACK_HOLD_MS);
      return;
    }
    setImmediate(() => this.flush());
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
    for (const frame of encodeRelayFrames(batch, this.maxFrame)) {
      this.writesInFlight++;
      ws.send(frame, { binary: true }, () => {
        this.writesInFlight--;
        this.scheduleFlush();
      });
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

  private connect(replacing = false): void {
    if (this.stopped) return;
    if (!replacing) this.state = "connecting";
    const url = this.relayUrl();
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.opts.credential}` },
        agent: agentFor(url),
        maxPayload: MAX_PAYLOAD,
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
      });
    } catch (e) {
      this.emit("error", e as Error);
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = "nodebuffer";
    // A relay that closes "going away" again and again within a second is not restarting, it is failing: back off.
    let openedAt = Number.POSITIVE_INFINITY;
    if (replacing) this.pending = ws;
    else this.ws = ws;
    ws.on("open", () => {
      if (this.pending === ws) {
        // Make before break: the new socket carries from now on; the old one is let go.
        const old = this.ws;
        this.pending = null;
        this.ws = ws;
        if (old) {
          old.removeAllListeners();
          old.on("error", () => {});
          old.close(1000, "replaced by a newer connection");
        }
      }
      openedAt = Date.now();
      const wasOpen = this.state === "open";
      this.state = "open";
      this.maxFrame = RELAY_FRAME_DEFAULT;
      this.writesInFlight = 0;
      this.backoff.reset();
      this.startPing();
      if (!wasOpen) this.emit("open");
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        const text = (data as Buffer).toString();
        const hello = parseRelayHello(text);
        if (hello && ws === this.ws) {
          this.maxFrame = Math.min(hello.maxFrame, MAX_PAYLOAD);
          this.placement = hello.placement;
        } else this.awaitingPong = false;
        return;
      }
      const buf = data as Buffer;
      const datagrams = decodeRelayFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      if (!datagrams) {
        this.malformedFrames++;
        return;
      }
      this.receivedFrames++;
      this.lastFrameInAt = Date.now();
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
      if (this.pending === ws) {
        // The replacement failed; the old socket carries on.
        this.pending = null;
        return;
      }
      if (this.ws !== ws) return;
      if (this.pending && code === RelayClose.replaced) {
        // Our own replacement reached the relay first (make before break): it carries on once open.
        this.ws = null;
        this.state = "connecting";
        this.stopPing();
        return;
      }
      this.ws = null;
      this.state = "closed";
      this.stopPing();
      this.emit("close", code, reason.toString());
      if (code === RelayClose.revoked) {
        this.stop();
        this.emit("refused", 401, "relay credential revoked");
        return;
      }
      if (CLEAN_RESTART_CODES.has(code) && Date.now() - openedAt >= 1_000) {
        // A deploy or an eviction: the relay is back at once, so no backoff (and no jitter: the
        // platform, not this agent, spreads a fleet's reconnects by closing sockets over time).
        this.reconnects++;
        this.backoff.reset();
        this.connect();
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
