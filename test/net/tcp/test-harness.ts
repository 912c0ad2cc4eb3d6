/**
 * Shared scaffolding for the TCP tests and the benchmark: two TCP layers on a
 * simulated network, a helper to complete a handshake, and a sink that
 * records what the app side of a connection saw.
 */
import { createHash } from "node:crypto";
import { type Ipv4Header, parseIpv4 } from "../../../agent/net/ipv4.ts";
import type { TcpConfig } from "../../../agent/net/tcp/config.ts";
import type { TcpCloseReason, TcpConnection } from "../../../agent/net/tcp/connection.ts";
import { parseTcpSegment, type TcpSegment } from "../../../agent/net/tcp/segment.ts";
import { TcpLayer } from "../../../agent/net/tcp/tcp-layer.ts";
import { type LinkProfile, PERFECT_LINK, SimNetwork, type SimNode } from "./sim-network.ts";

export const IP_A = 0x0a000001;
/** Payload of a full segment at the default MSS (1380) once timestamps (12 option bytes) are on. */
export const FULL_SEGMENT = 1368;
export const IP_B = 0x0a000002;
/** Addresses no packet goes to: the simulated network's slots for the ACK flushers' timers. */
const FLUSHER_A = 0x0a0000f1;
const FLUSHER_B = 0x0a0000f2;

export interface Pair {
  net: SimNetwork;
  a: TcpLayer;
  b: TcpLayer;
}

export interface PairOptions {
  seed?: number;
  profile?: Partial<LinkProfile>;
  configA?: Partial<TcpConfig>;
  configB?: Partial<TcpConfig>;
  /**
   * Coalesce ACKs per receive batch as the agent does (TcpLayerOptions.onAckDeferred): the
   * deferred ACKs go out once every packet due at the same simulated instant has been delivered.
   */
  deferAcks?: boolean;
  /** Milliseconds taken off layer A's clock, read at every call: a wall clock stepped back. */
  clockSkewA?: () => number;
}

/** Ends a layer's receive batch: flushes its deferred ACKs after the network's step delivered every due packet. */
class AckFlusher implements SimNode {
  private due = Number.POSITIVE_INFINITY;
  layer: TcpLayer | undefined;

  get nextDeadline(): number {
    return this.due;
  }

  input(): void {}

  batchStarted(now: number): void {
    this.due = now;
  }

  tick(now: number): void {
    if (now < this.due) return;
    this.due = Number.POSITIVE_INFINITY;
    this.layer?.flushAcks(now);
  }
}

export function makePair(opts: PairOptions = {}): Pair {
  const net = new SimNetwork(opts.seed ?? 1, { ...PERFECT_LINK, ...opts.profile });
  const ra = net.random();
  const rb = net.random();
  const fa = new AckFlusher();
  const fb = new AckFlusher();
  const skewA = opts.clockSkewA;
  const a = new TcpLayer({
    localIp: IP_A,
    send: net.send,
    now: skewA === undefined ? net.clock : () => net.clock() - skewA(),
    randomUint32: () => ra.uint32(),
    config: opts.configA ?? {},
    onAckDeferred: opts.deferAcks ? () => fa.batchStarted(net.now) : undefined,
  });
  const b = new TcpLayer({
    localIp: IP_B,
    send: net.send,
    now: net.clock,
    randomUint32: () => rb.uint32(),
    config: opts.configB ?? {},
    onAckDeferred: opts.deferAcks ? () => fb.batchStarted(net.now) : undefined,
  });
  net.attach(IP_A, a);
  net.attach(IP_B, b);
  if (opts.deferAcks) {
    fa.layer = a;
    fb.layer = b;
    // Attached after the layers: the network ticks nodes in attach order, after delivering.
    net.attach(FLUSHER_A, fa);
    net.attach(FLUSHER_B, fb);
  }
  return { net, a, b };
}

/** Connects a -> b:port and runs until both sides are established. */
export function connectPair(pair: Pair, port = 80): { client: TcpConnection; server: TcpConnection } {
  let server: TcpConnection | undefined;
  const listener = pair.b.listen(port, (c) => {
    server = c;
  });
  const client = pair.a.connect(IP_B, port);
  const ok = pair.net.runUntil(() => server !== undefined && client.state === "ESTABLISHED", 120_000);
  listener.close();
  if (!ok || server === undefined) throw new Error(`handshake did not complete (client ${client.state})`);
  return { client, server };
}

/** Records what the app sees on one connection. */
export class Sink {
  readonly chunks: Uint8Array[] = [];
  bytes = 0;
  ended = false;
  closed: TcpCloseReason | undefined;
  private readonly hash = createHash("sha256");

  constructor(
    readonly conn: TcpConnection,
    private readonly keep = true,
  ) {
    conn.onData = (c) => {
      this.bytes += c.length;
      this.hash.update(c);
      if (this.keep) this.chunks.push(c);
    };
    conn.onEnd = () => {
      this.ended = true;
    };
    conn.onClose = (r) => {
      this.closed = r;
    };
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

/** Writes `data` into conn as the send buffer allows, resuming on onWritable, then optionally ends. */
export class Pump {
  offset = 0;
  constructor(
    readonly conn: TcpConnection,
    readonly data: Uint8Array,
    private readonly endWhenDone = true,
  ) {
    conn.onWritable = () => this.fill();
    this.fill();
  }

  get done(): boolean {
    return this.offset === this.data.length;
  }

  fill(): void {
    while (this.offset < this.data.length) {
      const n = this.conn.write(this.data.subarray(this.offset));
      if (n === 0) return;
      this.offset += n;
    }
    if (this.endWhenDone) this.conn.end();
  }
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses a packet seen by a tap into its IPv4 header and TCP segment. */
export function decodeTcp(packet: Uint8Array): { h: Ipv4Header; seg: TcpSegment } {
  const h = parseIpv4(packet);
  if (h === null) throw new Error("not IPv4");
  const r = parseTcpSegment(packet.subarray(h.headerLength, h.totalLength), h.src, h.dst);
  if (!r.ok) throw new Error(`bad tcp segment: ${r.reason}`);
  return { h, seg: r.segment };
}
