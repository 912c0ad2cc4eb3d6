/**
 * A lightweight simulated agent for the fleet bench: it registers like an agent and then either
 * holds a control channel ("push") or heartbeats over HTTP every 5 s ("poll", the design before
 * the channel), keeping the netmap it is given. No WireGuard, no UDP: just the control plane.
 */
import WebSocket from "ws";
import { CONTROL_BACKOFF_BASE_MS, CONTROL_BACKOFF_MAX_MS } from "../agent/control/control-channel.ts";
import { applyDelta } from "../agent/control/netmap-delta.ts";
import { Backoff } from "../agent/util/backoff.ts";
import type { HeartbeatResponse, Netmap, RegisterResponse } from "../protocol/api.ts";
import {
  CONTROL_PING,
  CONTROL_PING_MS,
  CONTROL_PONG,
  parseMessage,
  ServerMessage,
} from "../protocol/control.ts";

export type SimMode = "push" | "poll";
/** The polling design's heartbeat interval (what agents used before the channel). */
export const POLL_INTERVAL_MS = 5_000;
const VERSION = "0.1.0";

export async function registerSim(
  platformUrl: string,
  cluster: string,
  psk: string,
  publicKey: string,
): Promise<string> {
  const res = await fetch(`${platformUrl}/api/v1/agent/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ cluster, psk, publicKey, clusterUid: `uid-${cluster}`, version: VERSION }),
  });
  if (!res.ok) throw new Error(`register ${cluster}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as RegisterResponse).credential;
}

export class SimAgent {
  netmap: Netmap | null = null;
  /** Channel closes seen, by close code (1006: the connection dropped without a close frame). */
  readonly closes = new Map<number, number>();
  /** Bumped on every successful heartbeat (poll) or connect (push) after a restart. */
  generation = 0;
  endpoints: string[];
  private ws: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  // The agent's own reconnect backoff, so the storm is the one real agents would make.
  private readonly backoff = new Backoff(CONTROL_BACKOFF_BASE_MS, CONTROL_BACKOFF_MAX_MS);
  private watchers: (() => boolean)[] = [];

  constructor(
    readonly platformUrl: string,
    readonly cluster: string,
    readonly credential: string,
    readonly mode: SimMode,
    port: number,
  ) {
    this.endpoints = [`127.0.0.1:${port}`];
  }

  start(): void {
    this.stopped = false;
    if (this.mode === "push") this.connect();
    // Spread the fleet's heartbeats over the interval, as real agents started at different times are.
    else this.schedulePoll(Math.random() * POLL_INTERVAL_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ws?.terminate();
    this.ws = null;
  }

  has(peer: string): boolean {
    return this.netmap?.peers.some((p) => p.cluster === peer) ?? false;
  }

  peerEndpoints(peer: string): string[] | null {
    return this.netmap?.peers.find((p) => p.cluster === peer)?.endpoints ?? null;
  }

  /** Calls `fn` after every netmap change until it returns true. */
  watch(fn: () => boolean): void {
    if (fn()) return;
    this.watchers.push(fn);
  }

  /** New endpoints: pushed on the channel at once, or carried by the next heartbeat. */
  moveTo(endpoints: string[]): void {
    this.endpoints = endpoints;
    if (this.mode === "push") this.sendStatus();
  }

  private changed(): void {
    this.watchers = this.watchers.filter((w) => !w());
  }

  private sendStatus(): void {
    this.ws?.send(JSON.stringify({ type: "status", version: VERSION, endpoints: this.endpoints, peers: [] }));
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(`${this.platformUrl.replace(/^http/, "ws")}/api/v1/agent/control`, {
      headers: { authorization: `Bearer ${this.credential}` },
      perMessageDeflate: false,
      // The agent's own limit: an upgrade lost in a restart must not leave a sim waiting forever.
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let ping: NodeJS.Timeout | null = null;
    // As the agent does: a ping unanswered for a whole interval means a dead socket, even if TCP
    // has not noticed (a restart can leave one half-open); without this a sim can wait forever.
    let awaitingPong = false;
    ws.on("open", () => {
      this.backoff.reset();
      this.sendStatus();
      ping = setInterval(() => {
        if (awaitingPong) {
          ws.terminate();
          return;
        }
        awaitingPong = true;
        ws.send(CONTROL_PING);
      }, CONTROL_PING_MS);
    });
    ws.on("message", (data) => {
      const text = data.toString();
      if (text === CONTROL_PONG) {
        awaitingPong = false;
        return;
      }
      const m = parseMessage(ServerMessage, text);
      if (m === null) return;
      if (m.type === "netmap") {
        this.netmap = m.netmap;
        this.generation++;
      } else if (m.type === "netmap-delta") {
        const next = applyDelta(this.netmap, m);
        if (next === null) ws.send(JSON.stringify({ type: "resync" }));
        else this.netmap = next;
      } else return;
      this.changed();
    });
    const retry = () => {
      if (ping) clearInterval(ping);
      ping = null;
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.timer = setTimeout(() => this.connect(), this.backoff.next());
    };
    ws.on("error", retry);
    ws.on("close", (code) => {
      this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
      retry();
    });
    ws.on("unexpected-response", () => {
      ws.terminate();
      retry();
    });
  }

  /** The interval the platform last asked for (the old design's awaiting-peer hint), as agents obeyed it. */
  private hintedMs = POLL_INTERVAL_MS;

  private schedulePoll(ms: number): void {
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        if (!this.stopped) this.schedulePoll(this.hintedMs);
      });
    }, ms);
  }

  private async poll(): Promise<void> {
    const auth = { authorization: `Bearer ${this.credential}`, "content-type": "application/json" };
    try {
      const res = await fetch(`${this.platformUrl}/api/v1/agent/heartbeat`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ version: VERSION, endpoints: this.endpoints, peers: [] }),
      });
      if (!res.ok) return;
      const hb = (await res.json()) as HeartbeatResponse;
      this.hintedMs = Math.min(POLL_INTERVAL_MS, (hb.heartbeatSeconds ?? Number.POSITIVE_INFINITY) * 1000);
      if (hb.netmapVersion !== this.netmap?.version) {
        const nm = await fetch(`${this.platformUrl}/api/v1/agent/netmap`, { headers: auth });
        if (nm.ok) this.netmap = (await nm.json()) as Netmap;
      }
      this.generation++;
      this.changed();
    } catch {
      // The platform is restarting; the next heartbeat tries again.
    }
  }
}
