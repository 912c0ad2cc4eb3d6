/**
 * The TCP protocol handler the IPv4 stack dispatches protocol 6 to: parses
 * and checks segments, demultiplexes them by 4-tuple, runs listeners, and
 * answers segments for nobody with RST (RFC 9293 §3.10.7.1).
 *
 * Like the connections it owns it is sans-I/O: packets go out through the
 * injected `send`, time comes in through `input`/`tick` or the injected clock.
 */
import { randomBytes } from "node:crypto";
import { IPV4_MIN_HEADER, type Ipv4Header } from "../ipv4.ts";
import { resolveTcpConfig, type TcpConfig } from "./config.ts";
import { type ConnectionHost, TcpConnection } from "./connection.ts";
import { DeadlineHeap } from "./deadline-heap.ts";
import {
  encodeTcpPacket,
  type OutgoingSegment,
  parseTcpSegment,
  TCP_ACK,
  TCP_FIN,
  TCP_MIN_HEADER,
  TCP_RST,
  TCP_SYN,
  type TcpSegment,
} from "./segment.ts";
import { seqAdd } from "./seq.ts";
import { SynBacklog } from "./syn-backlog.ts";

export interface TcpLayerOptions {
  /** Our IPv4 address (uint32), the source of connections we open. */
  readonly localIp: number;
  /** Takes complete IPv4 packets; ownership of the buffer passes to the callee. */
  readonly send: (packet: Uint8Array) => void;
  /** Monotonic milliseconds, used when the app (not the network) triggers sending. */
  readonly now?: () => number;
  /** Source of initial sequence numbers and ephemeral ports; crypto-random unless a test injects one. */
  readonly randomUint32?: () => number;
  readonly config?: Partial<TcpConfig>;
  /**
   * Set by a driver that can tell when a batch of received packets is over:
   * called when the first ACK of a batch is deferred, and the driver then
   * calls flushAcks() once the batch is done (the agent: setImmediate, after
   * libuv's read of the UDP socket). Without it every ACK goes out at once.
   */
  readonly onAckDeferred?: () => void;
}

export interface TcpLayerStats {
  segmentsReceived: number;
  badChecksum: number;
  truncated: number;
  badDataOffset: number;
  badOptions: number;
  resetsSent: number;
  /** SYNs ignored because a listener's backlog was full and their source already held its share. */
  synBacklogFull: number;
  /** Half-open connections reset to make room for a SYN from a source holding fewer (syn-backlog.ts). */
  synBacklogEvicted: number;
  connectionsOpened: number;
  connectionsAccepted: number;
}

export type AcceptHandler = (conn: TcpConnection) => void;

export class TcpListener {
  readonly state = "LISTEN" as const;
  readonly backlog: SynBacklog<TcpConnection>;
  private open = true;

  constructor(
    readonly port: number,
    readonly onAccept: AcceptHandler,
    private readonly unregister: (l: TcpListener) => void,
    maxSynBacklog: number,
  ) {
    this.backlog = new SynBacklog(maxSynBacklog);
  }

  /** Connections in SYN-RECEIVED, not yet handed to onAccept. */
  get halfOpen(): number {
    return this.backlog.size;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Stops accepting; established connections are unaffected. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.unregister(this);
  }
}

const EPHEMERAL_LOW = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_LOW;

function cryptoUint32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Smallest segment a lowered path MTU may leave (the connection's floor for a peer's MSS too). */
const MIN_PATH_MSS = 64;

function portsKey(remotePort: number, localPort: number): number {
  return remotePort * 65536 + localPort;
}

export class TcpLayer {
  /** The config new connections get; setPathMtu() lowers its MSS. */
  private cfg: TcpConfig;
  private readonly baseMss: number;
  readonly stats: TcpLayerStats = {
    segmentsReceived: 0,
    badChecksum: 0,
    truncated: 0,
    badDataOffset: 0,
    badOptions: 0,
    resetsSent: 0,
    synBacklogFull: 0,
    synBacklogEvicted: 0,
    connectionsOpened: 0,
    connectionsAccepted: 0,
  };

  private readonly localIp: number;
  private readonly sendPacket: (packet: Uint8Array) => void;
  private readonly clock: () => number;
  private readonly random: () => number;
  /** remote IP -> (remote port, local port) -> connection: numeric keys, so demux allocates nothing. */
  private readonly byRemote = new Map<number, Map<number, TcpConnection>>();
  private readonly all = new Set<TcpConnection>();
  /**
   * When each connection wants tick(). An entry is stale once its time is not
   * the connection's queuedAt any more (it was re-queued earlier, or fired).
   */
  private readonly timers = new DeadlineHeap<TcpConnection>();
  private readonly due: TcpConnection[] = [];
  private readonly onAckDeferred: (() => void) | undefined;
  private ackQueue: TcpConnection[] = [];
  private ackFlushing: TcpConnection[] = [];
  private readonly deferAck = (conn: TcpConnection): boolean => {
    if (this.onAckDeferred === undefined) return false;
    this.ackQueue.push(conn);
    if (this.ackQueue.length === 1) this.onAckDeferred();
    return true;
  };
  private readonly schedule = (conn: TcpConnection, at: number): void => {
    conn.queuedAt = at;
    this.timers.push(at, conn);
  };
  private readonly listeners = new Map<number, TcpListener>();
  private readonly rst: OutgoingSegment = {
    srcIp: 0,
    dstIp: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
  };

  constructor(opts: TcpLayerOptions) {
    this.localIp = opts.localIp >>> 0;
    this.sendPacket = opts.send;
    this.clock = opts.now ?? (() => performance.now());
    this.random = opts.randomUint32 ?? cryptoUint32;
    this.cfg = resolveTcpConfig(opts.config);
    this.baseMss = this.cfg.mss;
    this.onAckDeferred = opts.onAckDeferred;
  }

  /** Sends the ACKs deferred during the receive batch that just ended (see onAckDeferred). */
  flushAcks(now: number): void {
    const q = this.ackQueue;
    this.ackQueue = this.ackFlushing;
    this.ackFlushing = q;
    for (const conn of q) conn.flushAck(now);
    q.length = 0;
  }

  get config(): TcpConfig {
    return this.cfg;
  }

  /**
   * The path MTU changed while connections are open (the tunnel's MTU was lowered): new
   * connections announce the matching MSS, and open ones send segments no larger from now on,
   * retransmissions included. A raised MTU applies to new connections only (open ones keep the
   * MSS they have). A connection still in its handshake settles its MSS from the SYNs, as before.
   */
  setPathMtu(mtu: number): void {
    const mss = mtu - IPV4_MIN_HEADER - TCP_MIN_HEADER;
    if (!Number.isInteger(mtu) || mss < MIN_PATH_MSS)
      throw new RangeError(`path MTU ${mtu} leaves no room for a ${MIN_PATH_MSS}-byte TCP segment`);
    this.cfg = { ...this.cfg, mss: Math.min(this.baseMss, mss) };
    for (const c of this.all) c.lowerMss(mss);
  }

  /** Live control blocks, including ones in TIME-WAIT. */
  get connectionCount(): number {
    return this.all.size;
  }

  listen(port: number, onAccept: AcceptHandler): TcpListener {
    checkPort(port);
    if (this.listeners.has(port)) throw new Error(`tcp port ${port} is already listening`);
    const l = new TcpListener(
      port,
      onAccept,
      (x) => {
        if (this.listeners.get(x.port) === x) this.listeners.delete(x.port);
      },
      this.config.maxSynBacklog,
    );
    this.listeners.set(port, l);
    return l;
  }

  /** Opens a connection (sends SYN now). Handlers can be attached before the handshake completes. */
  connect(remoteIp: number, remotePort: number, localPort?: number): TcpConnection {
    checkPort(remotePort);
    remoteIp >>>= 0;
    const port = localPort ?? this.pickEphemeralPort(remoteIp, remotePort);
    checkPort(port);
    if (this.lookup(remoteIp, remotePort, port) !== undefined) {
      throw new Error(`tcp 4-tuple already in use: local port ${port} to ${remoteIp >>> 0}:${remotePort}`);
    }
    const conn = this.create(this.localIp, port, remoteIp, remotePort, undefined);
    this.stats.connectionsOpened++;
    conn.openActive(this.clock());
    return conn;
  }

  /** The IPv4 stack's entry point for protocol 6; `owned`: the payload's buffer is ours to keep. */
  input(h: Ipv4Header, payload: Uint8Array, now: number, owned = false): void {
    this.stats.segmentsReceived++;
    const r = parseTcpSegment(payload, h.src, h.dst);
    if (!r.ok) {
      switch (r.reason) {
        case "bad-checksum":
          this.stats.badChecksum++;
          break;
        case "truncated":
          this.stats.truncated++;
          break;
        case "bad-data-offset":
          this.stats.badDataOffset++;
          break;
        case "bad-options":
          this.stats.badOptions++;
          break;
      }
      return;
    }
    const seg = r.segment;
    const conn = this.lookup(h.src, seg.srcPort, seg.dstPort);
    if (conn !== undefined) {
      conn.input(seg, now, owned);
      return;
    }
    const listener = this.listeners.get(seg.dstPort);
    if (listener !== undefined && seg.srcPort !== 0) {
      this.inputListen(listener, h, seg, now);
      return;
    }
    this.resetFor(h, seg);
  }

  tick(now: number): void {
    // Take everything due first, then run it: a connection that re-queues itself
    // for `now` waits for the next tick instead of spinning this loop.
    const t = this.timers;
    const due = this.due;
    while (t.size > 0 && t.topAt <= now) {
      const at = t.topAt;
      const conn = t.topItem;
      t.pop();
      if (at !== conn.queuedAt) continue;
      conn.queuedAt = Number.POSITIVE_INFINITY;
      due.push(conn);
    }
    for (const conn of due) {
      // Queued for an earlier deadline that has since moved later: nothing is due yet.
      if (conn.nextDeadline <= now) conn.tick(now);
      else conn.syncTimers();
    }
    due.length = 0;
  }

  /** Earliest time any connection needs tick(), or Infinity: lets a driver sleep exactly as long as it may. */
  get nextDeadline(): number {
    const t = this.timers;
    // Drop stale entries so the answer is a real deadline (or one that moved later: an early wake-up).
    while (t.size > 0 && (t.topAt !== t.topItem.queuedAt || t.topItem.isClosed())) t.pop();
    return t.topAt;
  }

  // ---------------------------------------------------------------- internals

  private inputListen(listener: TcpListener, h: Ipv4Header, seg: TcpSegment, now: number): void {
    const f = seg.flags;
    if (f & TCP_RST) return;
    if (f & TCP_ACK) {
      this.resetFor(h, seg);
      return;
    }
    if (!(f & TCP_SYN)) return;
    const admission = listener.backlog.admit(h.src);
    if (admission.kind === "refuse") {
      this.stats.synBacklogFull++;
      return;
    }
    if (admission.kind === "evict") {
      this.stats.synBacklogEvicted++;
      admission.victim.abort(); // released() takes it out of the backlog
    }
    const conn = this.create(h.dst, seg.dstPort, h.src, seg.srcPort, listener);
    listener.backlog.add(h.src, conn);
    conn.openPassive(seg, now);
  }

  private create(
    localIp: number,
    localPort: number,
    remoteIp: number,
    remotePort: number,
    listener: TcpListener | undefined,
  ): TcpConnection {
    let pendingAccept = listener !== undefined;
    const host: ConnectionHost = {
      send: this.sendPacket,
      now: this.clock,
      established: (c) => {
        if (!pendingAccept || listener === undefined) return;
        pendingAccept = false;
        listener.backlog.remove(remoteIp, c);
        this.stats.connectionsAccepted++;
        // A listener closed during the handshake no longer wants the connection.
        if (listener.isOpen) listener.onAccept(c);
        else c.abort();
      },
      schedule: this.schedule,
      deferAck: this.deferAck,
      released: (c) => {
        if (pendingAccept && listener !== undefined) {
          pendingAccept = false;
          listener.backlog.remove(remoteIp, c);
        }
        this.remove(c);
      },
    };
    const conn = new TcpConnection(host, this.cfg, localIp, localPort, remoteIp, remotePort, this.random());
    let ports = this.byRemote.get(remoteIp);
    if (ports === undefined) {
      ports = new Map();
      this.byRemote.set(remoteIp, ports);
    }
    ports.set(portsKey(remotePort, localPort), conn);
    this.all.add(conn);
    return conn;
  }

  private remove(conn: TcpConnection): void {
    this.all.delete(conn);
    const ports = this.byRemote.get(conn.remoteIp);
    if (ports === undefined) return;
    const key = portsKey(conn.remotePort, conn.localPort);
    if (ports.get(key) === conn) ports.delete(key);
    if (ports.size === 0) this.byRemote.delete(conn.remoteIp);
  }

  private lookup(remoteIp: number, remotePort: number, localPort: number): TcpConnection | undefined {
    return this.byRemote.get(remoteIp)?.get(portsKey(remotePort, localPort));
  }

  private pickEphemeralPort(remoteIp: number, remotePort: number): number {
    const start = this.random() % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_LOW + ((start + i) % EPHEMERAL_COUNT);
      if (this.listeners.has(port)) continue;
      if (this.lookup(remoteIp, remotePort, port) === undefined) return port;
    }
    throw new Error("no free ephemeral tcp port");
  }

  /** RFC 9293 §3.10.7.1: answer a segment for no connection, unless it is itself a reset. */
  private resetFor(h: Ipv4Header, seg: TcpSegment): void {
    if (seg.flags & TCP_RST) return;
    const o = this.rst;
    o.srcIp = h.dst;
    o.dstIp = h.src;
    o.srcPort = seg.dstPort;
    o.dstPort = seg.srcPort;
    if (seg.flags & TCP_ACK) {
      o.seq = seg.ack;
      o.ack = 0;
      o.flags = TCP_RST;
    } else {
      const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
      o.seq = 0;
      o.ack = seqAdd(seg.seq, len);
      o.flags = TCP_RST | TCP_ACK;
    }
    this.stats.resetsSent++;
    this.sendPacket(encodeTcpPacket(o, null, 0, 0));
  }
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid tcp port: ${port}`);
}
