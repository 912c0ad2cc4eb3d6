/**
 * One TCP connection: the RFC 9293 state machine and its control block.
 *
 * Sans-I/O: no sockets, no timers. The owning TcpLayer feeds parsed segments
 * in with `input(seg, now)` and calls `tick(now)` once `nextDeadline` has
 * passed; packets leave through the host's `send`. App-facing methods
 * (write, end, pause...) read the injected clock.
 *
 * Congestion control sits behind CongestionController (CUBIC by default, or
 * Reno); the RTO follows RFC 6298 with Karn's rule. With SACK (RFC 2018) on
 * both ends, loss recovery is RACK-TLP (RFC 8985): a segment is lost when one
 * sent after it was delivered and it is older than the RTT plus a reordering
 * window that D-SACKs widen, so reordering is not mistaken for loss; tail loss
 * probes turn a lost tail into SACKs instead of a timeout; lost segments are
 * resent before new data while RFC 6675's pipe stays under cwnd; and when
 * D-SACKs show every retransmission of an episode was needless (or, with
 * RFC 7323 timestamps, the ACK that ends it echoes an original's timestamp), the
 * window cut is undone. Without SACK it is NewReno fast recovery (RFC 6582). After a
 * timeout, with SACK everything not SACKed is deemed lost and resent lowest first
 * while RACK keeps watching (RFC 8985 §6.3); without SACK, go-back-N. With SACK,
 * every ACK that delivers a segment sent only once is an RTT sample (Karn's rule
 * per segment), so a backed-off RTO collapses as soon as new data gets through;
 * with timestamps, an ACK covering only retransmissions is timed by its echo.
 */
import { ByteRing } from "./byte-ring.ts";
import { type TcpConfig, windowShiftFor } from "./config.ts";
import type { CongestionController } from "./congestion/controller.ts";
import { createCongestionController } from "./congestion/create.ts";
import { RackState } from "./rack.ts";
import { ReassemblyQueue } from "./reassembly.ts";
import { RtoEstimator } from "./rto.ts";
import { isUsefulSackBlock, SackScoreboard } from "./sack-scoreboard.ts";
import {
  encodeTcpPacket,
  MAX_SACK_BLOCKS,
  MAX_SACK_BLOCKS_WITH_TIMESTAMPS,
  type OutgoingSegment,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  type TcpSegment,
  TIMESTAMPS_OPTION_BYTES,
} from "./segment.ts";
import { karnSampleSentAt, type SentSegment, SentSegments } from "./sent-segments.ts";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from "./seq.ts";

export type TcpState =
  | "LISTEN"
  | "SYN-SENT"
  | "SYN-RECEIVED"
  | "ESTABLISHED"
  | "FIN-WAIT-1"
  | "FIN-WAIT-2"
  | "CLOSE-WAIT"
  | "CLOSING"
  | "LAST-ACK"
  | "TIME-WAIT"
  | "CLOSED";

/**
 * Why the app-facing side of a connection ended.
 * normal: both FINs exchanged. reset: the peer sent RST. refused: RST in answer to our SYN.
 * timeout: retransmissions exhausted. aborted: the app called abort().
 */
export type TcpCloseReason = "normal" | "reset" | "refused" | "timeout" | "aborted";

/** What a connection needs from its owner. */
export interface ConnectionHost {
  send(packet: Uint8Array): void;
  now(): number;
  /** The connection reached ESTABLISHED (passive ones are handed to their listener here). */
  established(conn: TcpConnection): void;
  /** The control block is gone; forget the 4-tuple. */
  released(conn: TcpConnection): void;
  /**
   * Our earliest deadline moved earlier than `queuedAt`: queue a tick() for
   * `at` (and set queuedAt). Later deadlines are not reported: the queued
   * tick comes early, finds nothing due, and the host re-queues us.
   */
  schedule(conn: TcpConnection, at: number): void;
  /**
   * Asks to send the ACK for in-order data at the end of the current receive
   * batch instead of now (the host then calls flushAck()). False: ACK now.
   */
  deferAck(conn: TcpConnection): boolean;
}

/**
 * Most bytes one coalesced ACK may cover, in segments. The controllers' slow
 * start lets one ACK open the window by as much (SLOW_START_MAX_SEGMENTS_PER_ACK),
 * so coalesced ACKs open it as fast as one ACK per two segments would.
 */
const MAX_STRETCH_SEGMENTS = 16;
/** RFC 8985 §7.2: the worst-case delayed-ACK time added to a probe timeout when one segment is in flight. */
const WORST_CASE_DELAYED_ACK_MS = 200;
/** Floor of the probe timeout, so a tiny SRTT cannot make probes fire before the ACK could return. */
const MIN_PTO_MS = 10;

export interface TcpEndpoints {
  readonly localIp: number;
  readonly localPort: number;
  readonly remoteIp: number;
  readonly remotePort: number;
}

export interface TcpConnectionStats {
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  retransmittedSegments: number;
  timeouts: number;
  fastRetransmits: number;
  persistProbes: number;
  dupAcksReceived: number;
  challengeAcks: number;
  outOfOrderSegments: number;
  /** Segments acknowledged and dropped because the reassembly queue was full. */
  outOfOrderDropped: number;
  /** Segments RACK deemed lost. */
  rackLosses: number;
  /** Tail loss probes sent. */
  tailLossProbes: number;
  /** D-SACKs received: the peer got a segment twice. */
  dsacksReceived: number;
  /** Window reductions undone because every retransmission of the episode was spurious. */
  spuriousUndos: number;
  /** Of those, undone because an ACK echoed a timestamp older than the first retransmission (Eifel). */
  timestampUndos: number;
}

const UNARMED = Number.POSITIVE_INFINITY;
/** Segments newly delivered by the ACK being processed; one array for all connections (never re-entered). */
const delivered: SentSegment[] = [];
/** How many leading entries of `delivered` the ACK's first SACK block delivered (see karnSampleSentAt). */
let deliveredByFirstBlock = 0;
/** TSecr of the ACK being processed (timestamps only), else undefined; module-level like `delivered`. */
let ackTsEcr: number | undefined;

/** RFC 7323 §5.2: timestamps compare modulo 2^32, like sequence numbers. */
function tsBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** RFC 2883 §4: the first SACK block reports a duplicate when it lies below the ACK or inside the second block. */
function isDsack(b: readonly number[], ack: number): boolean {
  if (b.length < 2 || !seqLt(b[0]!, b[1]!)) return false;
  if (seqLe(b[1]!, ack)) return true;
  return b.length >= 4 && seqGe(b[0]!, b[2]!) && seqLe(b[1]!, b[3]!);
}
const DEFAULT_PEER_MSS = 536;
const MIN_PEER_MSS = 64;

function isSynchronized(s: TcpState): boolean {
  return s !== "LISTEN" && s !== "SYN-SENT" && s !== "SYN-RECEIVED" && s !== "CLOSED";
}

export class TcpConnection implements TcpEndpoints {
  // ---- app-facing events ----
  /** Fired once when the handshake completes (for accepted connections, before the listener's callback returns). */
  onEstablished: (() => void) | undefined;
  /** In-order bytes. The chunk is owned by the app. Not fired while paused or without a handler. */
  onData: ((chunk: Uint8Array) => void) | undefined;
  /** The peer half-closed (FIN) and every byte before it was delivered. */
  onEnd: (() => void) | undefined;
  /** Send-buffer space opened up after a write() accepted less than offered. */
  onWritable: (() => void) | undefined;
  /** The connection is finished for the app; fired exactly once. */
  onClose: ((reason: TcpCloseReason) => void) | undefined;

  readonly stats: TcpConnectionStats = {
    segmentsSent: 0,
    segmentsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    retransmittedSegments: 0,
    timeouts: 0,
    fastRetransmits: 0,
    persistProbes: 0,
    dupAcksReceived: 0,
    challengeAcks: 0,
    outOfOrderSegments: 0,
    outOfOrderDropped: 0,
    rackLosses: 0,
    tailLossProbes: 0,
    dsacksReceived: 0,
    spuriousUndos: 0,
    timestampUndos: 0,
  };

  private st: TcpState;
  private readonly out: OutgoingSegment;

  // ---- send side ----
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  /** Highest sequence ever sent; SND.NXT rewinds to SND.UNA on timeout, this does not. */
  private sndMax: number;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private readonly sendBuf: ByteRing;
  /** Sequence number of the first byte held in sendBuf. */
  private bufSeq: number;
  private finQueued = false;
  private sndShift = 0;
  private rcvShift = 0;
  private effMss: number;
  private readonly cc: CongestionController;
  private dupAcks = 0;
  private inRecovery = false;
  private recover: number;
  private readonly rto: RtoEstimator;
  private rtoAt = UNARMED;
  private retries = 0;
  private rttTiming = false;
  private rttSeq = 0;
  private rttStart = 0;
  private persistAt = UNARMED;
  private persistInterval = 0;
  /** End of the byte sent by the last zero-window probe; an ACK for it is valid though SND.MAX never covered it. */
  private probeEnd: number | undefined;
  private wantWritable = false;
  private sackOk = false;
  /** Both SYNs carried timestamps (RFC 7323): every segment carries TSval and echoes tsRecent. */
  private tsOk = false;
  /** TS.Recent, kept as an int32 (a small integer to V8, so no boxed number per connection). */
  private tsRecent = 0;
  /** The last TSval we sent (int32): the clock may be wall time, and TSval must never go back. */
  private tsLast = 0;
  /** RCV.NXT in the last ACK we sent (RFC 7323's Last.ACK.sent). */
  private lastAckSent = 0;
  /** Made on the first SACK block received: most connections never see one, and idle ones stay small. */
  private sackBoard: SackScoreboard | undefined;
  /** With SACK: every data segment in flight, for RACK and the pipe (made on first use: idle connections stay small). */
  private sentSegs: SentSegments | undefined;
  private rackState: RackState | undefined;
  /** New data went out or SND.UNA advanced: the probe timer is re-armed after this event. */
  private probeRearm = false;

  // ---- receive side ----
  private irs = 0;
  private rcvNxt = 0;
  private rcvAdvEdge = 0;
  private readonly rcvQueue: Uint8Array[] = [];
  private rcvQueued = 0;
  private readonly ooo: ReassemblyQueue;
  private rcvFinSeq: number | undefined;
  private finReceived = false;
  private endDelivered = false;
  private paused = false;
  private discardInput = false;
  private ackNow = false;
  private unackedBytes = 0;
  /** An ACK is owed at the end of the receive batch (ConnectionHost.deferAck). */
  private ackDeferred = false;
  /** The segment being processed sits in a buffer we may keep (input()'s `owned`). */
  private inputOwned = false;
  /** Start of the latest out-of-order arrival, reported first in SACK blocks. */
  private lastOooSeq = 0;
  /** A duplicate segment to report as a D-SACK (RFC 2883) in the next ACK: [start, end), or undefined. */
  private dsackStart: number | undefined;
  private dsackEnd = 0;
  private delAckAt = UNARMED;
  private timeWaitAt = UNARMED;
  /** The receive buffer as autotuned so far (config.receiveBufferSize .. maxReceiveBufferSize). */
  private rcvBuf: number;
  /**
   * Start of the round trip over which the app's reading rate is measured, and where the app's
   * reading stood then (RCV.NXT less what is still queued: the next byte the app will get).
   */
  private rcvSpaceAt = -1;
  private rcvSpaceMark = 0;

  // ---- lifecycle ----
  /** The deadline the host's timer queue holds for us, or Infinity (see ConnectionHost.schedule). */
  queuedAt = UNARMED;
  private establishedPending = false;
  private closeReason: TcpCloseReason | undefined;
  private closeEmitted = false;
  private releasedFlag = false;
  private offeredWindowScale = false;

  constructor(
    private readonly host: ConnectionHost,
    private readonly config: TcpConfig,
    readonly localIp: number,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
    iss: number,
  ) {
    this.st = "CLOSED";
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.bufSeq = seqAdd(this.iss, 1);
    this.recover = this.iss;
    this.sendBuf = new ByteRing(config.sendBufferSize);
    this.rcvBuf = config.receiveBufferSize;
    this.ooo = new ReassemblyQueue(config.maxOutOfOrderSegments);
    this.rto = new RtoEstimator(config.minRtoMs, config.maxRtoMs, config.initialRtoMs);
    this.effMss = Math.min(config.mss, DEFAULT_PEER_MSS);
    this.cc = createCongestionController(config.congestionControl, this.effMss, config.initialCwndSegments);
    this.out = {
      srcIp: localIp,
      dstIp: remoteIp,
      srcPort: localPort,
      dstPort: remotePort,
      seq: 0,
      ack: 0,
      flags: 0,
      window: 0,
      mss: undefined,
      windowShift: undefined,
      sackPermitted: undefined,
      // Every field emit() may set is here from the start, so the object keeps one shape.
      sackBlocks: undefined,
      tsVal: undefined,
      tsEcr: undefined,
    };
  }

  // =================================================================== public API

  get state(): TcpState {
    return this.st;
  }

  /** A method, not a comparison, because callbacks may close the connection behind TypeScript's narrowing. */
  isClosed(): boolean {
    return this.st === "CLOSED";
  }

  /** Bytes accepted by write() and not yet acknowledged by the peer. */
  get bufferedAmount(): number {
    return this.sendBuf.length;
  }

  /** How many more bytes write() would accept right now. */
  get writableLength(): number {
    return this.canWrite() ? this.sendBuf.free : 0;
  }

  /** Received bytes held because the app is paused (or has no onData yet). */
  get readableLength(): number {
    return this.rcvQueued;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Current congestion window, smoothed RTT and RTO, for status and tests. */
  get transport(): {
    cwnd: number;
    ssthresh: number;
    srttMs: number | undefined;
    rtoMs: number;
    /** Payload bytes per full segment: the agreed MSS less the options every segment carries. */
    mss: number;
    sendWindow: number;
    receiveBuffer: number;
    congestionControl: string;
    /** Both ends agreed on selective acknowledgements in the handshake. */
    sack: boolean;
    /** Both ends agreed on timestamps (RFC 7323) in the handshake. */
    timestamps: boolean;
  } {
    return {
      cwnd: this.cc.window,
      ssthresh: this.cc.ssthresh,
      srttMs: this.rto.srtt,
      rtoMs: this.rto.rto,
      mss: this.effMss,
      sendWindow: this.sndWnd,
      receiveBuffer: this.rcvBuf,
      congestionControl: this.cc.name,
      sack: this.sackOk,
      timestamps: this.tsOk,
    };
  }

  /** Sequence variables, for diagnostics and tests. */
  get sequence(): {
    iss: number;
    sndUna: number;
    sndNxt: number;
    sndMax: number;
    irs: number;
    rcvNxt: number;
  } {
    return {
      iss: this.iss,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      irs: this.irs,
      rcvNxt: this.rcvNxt,
    };
  }

  /** Shifts in use: ours applies to windows we advertise, the peer's to windows it sends. */
  get windowScale(): { send: number; receive: number } {
    return { send: this.sndShift, receive: this.rcvShift };
  }

  /**
   * Queues data for sending. Returns how many bytes were taken: fewer than
   * offered means the send buffer is full and onWritable will fire later.
   * Returns 0 once the sending side is shut (after end(), close(), or reset).
   */
  write(data: Uint8Array): number {
    if (!this.canWrite()) return 0;
    const n = this.sendBuf.write(data);
    if (n < data.length) this.wantWritable = true;
    // Transmit only: app callbacks never run inside write(), so a writer that
    // loops on write() from onWritable cannot be re-entered mid-loop.
    if (n > 0 && isSynchronized(this.st)) this.transmit(this.host.now());
    this.syncTimers();
    return n;
  }

  /** Half-close: send FIN after everything already written. Receiving goes on. */
  end(): void {
    if (this.finQueued) return;
    switch (this.st) {
      case "SYN-SENT":
      case "SYN-RECEIVED":
        // Sent once the handshake completes (RFC 9293 §3.10.4 queues it the same way).
        this.finQueued = true;
        return;
      case "ESTABLISHED":
        this.finQueued = true;
        this.st = "FIN-WAIT-1";
        break;
      case "CLOSE-WAIT":
        this.finQueued = true;
        this.st = "LAST-ACK";
        break;
      default:
        return;
    }
    this.transmit(this.host.now());
    this.syncTimers();
  }

  /** Full close: end() and throw away anything the peer still sends (it is acknowledged, not delivered). */
  close(): void {
    this.discardInput = true;
    this.rcvQueue.length = 0;
    this.rcvQueued = 0;
    this.end();
    if (isSynchronized(this.st)) this.transmit(this.host.now());
    this.syncTimers();
  }

  /** Resets the connection (RST) and drops all buffered data. */
  abort(): void {
    if (this.isClosed() || this.st === "TIME-WAIT") {
      this.enterClosed("aborted");
      return;
    }
    if (this.st !== "SYN-SENT") this.sendRst(this.sndMax, this.rcvNxt, true);
    this.enterClosed("aborted");
  }

  /** Stops onData; the receive window closes as unread data accumulates. */
  pause(): void {
    this.paused = true;
  }

  /** Restarts onData and tells the peer when the window has meaningfully reopened. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // Also after a graceful close: data that arrived before it is still owed to the app.
    this.dispatch();
    if (!this.isClosed()) this.transmit(this.host.now());
    this.syncTimers();
  }

  // ================================================================ driven by the layer

  /**
   * The path cannot carry segments this big any more (a lowered tunnel MTU): new segments and
   * retransmissions are cut to `mss` from now on; the congestion window keeps its size in bytes.
   */
  lowerMss(mss: number): void {
    const m = Math.max(Math.floor(mss) - this.timestampBytes(), MIN_PEER_MSS);
    if (m >= this.effMss) return;
    this.effMss = m;
    this.cc.setMss(m);
  }

  /** Active open: sends SYN. */
  openActive(now: number): void {
    this.st = "SYN-SENT";
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.offeredWindowScale = true;
    this.rcvShift = windowShiftFor(this.config.maxReceiveBufferSize);
    this.sendSyn(now, false);
    this.syncTimers();
  }

  /** Passive open from a listener's SYN: answers SYN-ACK. */
  openPassive(seg: TcpSegment, now: number): void {
    this.st = "SYN-RECEIVED";
    this.acceptSyn(seg);
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.sendSyn(now, true);
    this.syncTimers();
  }

  /** Earliest time tick() has work to do, or Infinity. */
  get nextDeadline(): number {
    const r = this.rackState;
    const rackAt = r === undefined ? UNARMED : Math.min(r.reoTimerAt, r.probeAt);
    return Math.min(this.rtoAt, this.persistAt, this.delAckAt, this.timeWaitAt, rackAt);
  }

  tick(now: number): void {
    if (this.isClosed()) return;
    if (now >= this.timeWaitAt) {
      this.timeWaitAt = UNARMED;
      this.enterClosed("normal");
      return;
    }
    if (now >= this.rtoAt) this.onRetransmitTimeout(now);
    if (this.isClosed()) return;
    if (this.rackState !== undefined && now >= this.rackState.reoTimerAt) this.onReorderTimeout(now);
    if (this.rackState !== undefined && now >= this.rackState.probeAt) this.onProbeTimeout(now);
    if (now >= this.persistAt) this.onPersistTimeout(now);
    if (now >= this.delAckAt) this.ackNow = true;
    this.afterEvent(now);
    this.syncTimers();
  }

  /** `owned`: seg.payload's buffer is ours to keep, so in-order data is queued without a copy. */
  input(seg: TcpSegment, now: number, owned = false): void {
    if (this.isClosed()) return;
    this.inputOwned = owned;
    this.stats.segmentsReceived++;
    if (this.st === "SYN-SENT") this.inputSynSent(seg, now);
    else this.inputSynchronized(seg, now);
    if (!this.isClosed()) this.afterEvent(now);
    this.syncTimers();
  }

  /** Tells the host when our earliest deadline moved earlier than the one it holds. */
  syncTimers(): void {
    if (this.isClosed()) return;
    const d = this.nextDeadline;
    if (d < this.queuedAt) this.host.schedule(this, d);
  }

  // ======================================================================== handshake

  private acceptSyn(seg: TcpSegment): void {
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvAdvEdge = this.rcvNxt;
    const peerMss = seg.mss === undefined ? DEFAULT_PEER_MSS : Math.max(seg.mss, MIN_PEER_MSS);
    // RFC 7323 §3.2: on only when both SYNs carry the option (ours always does when configured).
    this.tsOk = this.config.timestamps && seg.tsVal !== undefined;
    this.tsRecent = this.tsOk ? seg.tsVal! | 0 : 0;
    // The MSS counts no options; the 12 bytes of timestamps come out of every segment's payload.
    this.effMss = Math.min(this.config.mss, peerMss) - this.timestampBytes();
    this.cc.setMss(this.effMss);
    this.cc.setWindow(this.config.initialCwndSegments * this.effMss);
    // RFC 7323 §2.2: scaling is on only when both SYNs carry the option.
    if (seg.windowShift !== undefined && (this.st === "SYN-RECEIVED" || this.offeredWindowScale)) {
      this.sndShift = seg.windowShift;
      this.rcvShift = windowShiftFor(this.config.maxReceiveBufferSize);
      this.offeredWindowScale = true;
    } else {
      this.sndShift = 0;
      this.rcvShift = 0;
      this.offeredWindowScale = false;
    }
    this.sackOk = this.config.sack && seg.sackPermitted;
    // The window in a SYN is never scaled.
    this.sndWnd = seg.window;
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = seg.seq;
  }

  private sendSyn(now: number, withAck: boolean): void {
    this.emitSyn(withAck, false);
    if (this.rtoAt === UNARMED) this.rtoAt = now + this.rto.rto;
    if (this.retries === 0 && !this.rttTiming) {
      this.rttTiming = true;
      this.rttSeq = seqAdd(this.iss, 1);
      this.rttStart = now;
    }
  }

  /**
   * Sends our SYN (or SYN-ACK), always with the same options: a retransmission that dropped them
   * would make the two ends disagree. A peer that saw only an option-less SYN-ACK turns window
   * scaling and SACK off while we keep them on, so it reads our scaled windows unscaled (1/128 of
   * them with a 4 MiB buffer) and falls back to 536-byte segments: a transfer then crawls.
   */
  private emitSyn(withAck: boolean, retransmission: boolean): void {
    const o = this.out;
    o.mss = this.config.mss;
    o.windowShift = this.offeredWindowScale ? this.rcvShift : undefined;
    // A SYN-ACK may only offer SACK when the SYN did.
    o.sackPermitted = this.config.sack && (!withAck || this.sackOk);
    // Likewise timestamps: a SYN-ACK echoes the SYN's (emit() fills TSval and TSecr).
    const timestamps = this.config.timestamps && (!withAck || this.tsOk);
    // The first SYN starts the timestamp clock; from then on it only moves forward.
    if (timestamps && !retransmission) this.tsLast = (Math.floor(this.host.now()) + this.iss) | 0;
    this.emit(this.iss, 0, withAck ? TCP_SYN | TCP_ACK : TCP_SYN, retransmission, timestamps);
    o.mss = undefined;
    o.windowShift = undefined;
    o.sackPermitted = undefined;
  }

  private inputSynSent(seg: TcpSegment, now: number): void {
    const f = seg.flags;
    if (f & TCP_ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt)) {
        if (!(f & TCP_RST)) this.sendRst(seg.ack, 0, false);
        return;
      }
    }
    if (f & TCP_RST) {
      if (f & TCP_ACK) this.enterClosed("refused");
      return;
    }
    if (!(f & TCP_SYN)) return;
    this.acceptSyn(seg);
    if (f & TCP_ACK) {
      this.sndUna = seg.ack;
      this.sndWl2 = seg.ack;
      this.sampleRtt(seg.ack, now);
      this.rtoAt = UNARMED;
      this.retries = 0;
      this.becomeEstablished();
      this.ackNow = true;
    } else {
      // Simultaneous open (RFC 9293 §3.5 figure 7).
      this.st = "SYN-RECEIVED";
      this.rtoAt = UNARMED;
      this.sendSyn(now, true);
    }
  }

  private becomeEstablished(): void {
    this.st = this.finQueued ? "FIN-WAIT-1" : "ESTABLISHED";
    this.establishedPending = true;
  }

  // ======================================================================= segment arrival

  private inputSynchronized(seg: TcpSegment, now: number): void {
    const f = seg.flags;
    let payload = seg.payload;
    let seq = seg.seq;
    let fin = (f & TCP_FIN) !== 0;

    // A retransmitted SYN means our SYN-ACK was lost.
    if (this.st === "SYN-RECEIVED" && f & TCP_SYN && !(f & TCP_ACK) && seq === this.irs) {
      this.emitSyn(true, true);
      return;
    }

    // ---- first: sequence acceptability (RFC 9293 §3.10.7.4) ----
    const wnd = this.receiveWindow();
    const segLen = payload.length + (f & TCP_SYN ? 1 : 0) + (fin ? 1 : 0);
    let acceptable: boolean;
    if (segLen === 0) {
      acceptable = wnd === 0 ? seq === this.rcvNxt : seqInRange(seq, this.rcvNxt, seqAdd(this.rcvNxt, wnd));
    } else if (wnd === 0) {
      acceptable = false;
    } else {
      const edge = seqAdd(this.rcvNxt, wnd);
      acceptable =
        seqInRange(seq, this.rcvNxt, edge) || seqInRange(seqAdd(seq, segLen - 1), this.rcvNxt, edge);
    }
    if (!acceptable) {
      if (f & TCP_RST) return;
      if (payload.length > 0 && seqLe(seqAdd(seq, payload.length), this.rcvNxt))
        this.noteDuplicate(seq, seqAdd(seq, payload.length));
      if (this.st === "TIME-WAIT" && fin) this.timeWaitAt = now + 2 * this.config.mslMs;
      this.ackNow = true;
      // A zero-window probe still carries a usable ACK and window update.
      if (wnd === 0 && seq === this.rcvNxt && f & TCP_ACK && !(f & TCP_SYN)) this.processAck(seg, now);
      return;
    }
    this.noteTimestamp(seg, seq);

    // ---- second: RST (RFC 5961 §3: only an exact match resets; in-window gets a challenge ACK) ----
    if (f & TCP_RST) {
      if (seq !== this.rcvNxt) {
        this.challengeAck();
        return;
      }
      switch (this.st) {
        case "SYN-RECEIVED":
          // Never handed to the app: a passive open just goes away.
          this.enterClosed("reset");
          return;
        case "CLOSING":
        case "LAST-ACK":
        case "TIME-WAIT":
          this.enterClosed("normal");
          return;
        default:
          this.enterClosed("reset");
          return;
      }
    }

    // ---- third: SYN in a synchronized state (RFC 5961 §4) ----
    if (f & TCP_SYN) {
      this.challengeAck();
      return;
    }

    // ---- fourth: ACK ----
    if (!(f & TCP_ACK)) return;
    if (this.st === "SYN-RECEIVED") {
      if (!seqGt(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndMax)) {
        this.sendRst(seg.ack, 0, false);
        return;
      }
      this.sndWnd = seg.window << this.sndShift;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seq;
      this.sndWl2 = seg.ack;
      this.becomeEstablished();
    }
    if (!this.processAck(seg, now)) return;
    if (this.isClosed()) return;

    // ---- fifth: segment text ----
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      if (payload.length > 0) this.noteDuplicate(seq, seqAdd(seq, Math.min(skip, payload.length)));
      if (skip >= payload.length) {
        // Only the FIN (or nothing) is new.
        payload = payload.subarray(payload.length);
      } else {
        payload = payload.subarray(skip);
      }
      seq = this.rcvNxt;
    }
    const room = seqDiff(seqAdd(this.rcvNxt, wnd), seq);
    if (payload.length > room) {
      payload = payload.subarray(0, Math.max(0, room));
      fin = false;
    }
    if (payload.length > 0 && this.canReceiveText()) this.receiveText(seq, payload, now);

    // ---- sixth: FIN ----
    if (fin && !this.finReceived && this.rcvFinSeq === undefined) {
      this.rcvFinSeq = seqAdd(seq, payload.length);
    }
    this.maybeProcessFin(now);
    if (fin && this.st === "TIME-WAIT") {
      this.ackNow = true;
      this.timeWaitAt = now + 2 * this.config.mslMs;
    }
  }

  private canReceiveText(): boolean {
    return this.st === "ESTABLISHED" || this.st === "FIN-WAIT-1" || this.st === "FIN-WAIT-2";
  }

  /** Returns false when the segment must be dropped. */
  private processAck(seg: TcpSegment, now: number): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax) && ack !== this.probeEnd) {
      // Acknowledges something never sent.
      this.ackNow = true;
      return false;
    }
    // RFC 5961 §5: ACKs older than one max window are blind-injection suspects.
    if (seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1) - 1))) {
      this.challengeAck();
      return false;
    }
    delivered.length = 0;
    deliveredByFirstBlock = 0;
    ackTsEcr = this.tsOk ? seg.tsEcr : undefined;
    let dsack = false;
    if (this.sackOk && seg.sackBlocks !== undefined) {
      const b = seg.sackBlocks;
      const una = seqGt(ack, this.sndUna) ? ack : this.sndUna;
      for (let i = 0; i + 1 < b.length; i += 2) {
        if (isUsefulSackBlock(b[i]!, b[i + 1]!, ack)) {
          this.sackBoard ??= new SackScoreboard();
          this.sackBoard.add(b[i]!, b[i + 1]!, una, this.sndMax);
          this.sent.sackRange(seqGt(b[i]!, una) ? b[i]! : una, b[i + 1]!, delivered);
        }
        if (i === 0) deliveredByFirstBlock = delivered.length;
      }
      dsack = isDsack(b, ack);
      if (dsack) this.onDsack(b[0]!, b[1]!);
    }
    const oldWnd = this.sndWnd;
    const newWnd = seg.window << this.sndShift;
    const flight = seqDiff(this.sndMax, this.sndUna);

    if (seqGt(ack, this.sndUna)) {
      this.onNewAck(ack, now);
    } else if (this.sackOk) {
      this.sampleDelivered(now);
      if (ack === this.sndUna && seqGt(this.sndNxt, this.sndUna) && seg.payload.length === 0)
        this.stats.dupAcksReceived++;
    } else if (
      ack === this.sndUna &&
      seg.payload.length === 0 &&
      !(seg.flags & (TCP_SYN | TCP_FIN)) &&
      newWnd === oldWnd &&
      newWnd > 0 &&
      seqGt(this.sndNxt, this.sndUna)
    ) {
      this.onDupAck(now, flight);
    }

    if (this.sackOk) {
      this.rackOnAck(now);
      // Nothing in flight: the record is empty; drop it, and RACK's state unless it has learnt
      // that the path reorders, so an idle connection stays small.
      if (this.sndUna === this.sndMax) {
        this.sentSegs = undefined;
        if (this.rackState?.reorderingSeen === false) this.rackState = undefined;
      }
    }

    // Window update (RFC 9293 §3.10.7.4, SND.WL1/WL2 rule).
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = newWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (newWnd > this.maxSndWnd) this.maxSndWnd = newWnd;
      if (newWnd > 0) {
        this.persistAt = UNARMED;
        this.persistInterval = 0;
      }
    }

    // State transitions driven by our FIN being acknowledged.
    if (this.finQueued && seqGe(this.sndUna, seqAdd(this.dataEnd(), 1))) {
      switch (this.st) {
        case "FIN-WAIT-1":
          this.st = "FIN-WAIT-2";
          break;
        case "CLOSING":
          this.enterTimeWait(now);
          break;
        case "LAST-ACK":
          this.enterClosed("normal");
          return false;
      }
    }
    return true;
  }

  private onNewAck(ack: number, now: number): void {
    const acked = seqDiff(ack, this.sndUna);
    const dataAcked = Math.min(Math.max(seqDiff(ack, this.bufSeq), 0), this.sendBuf.length);
    if (dataAcked > 0) {
      this.sendBuf.discard(dataAcked);
      this.bufSeq = seqAdd(this.bufSeq, dataAcked);
    }
    this.sndUna = ack;
    this.sackBoard?.advance(ack);
    let sampled = false;
    if (this.sackOk) {
      this.sent.acked(ack, delivered);
      sampled = this.sampleDelivered(now);
    }
    this.probeRearm = true;
    const r = this.rackState;
    if (r?.probeEnd !== undefined && seqGe(ack, r.probeEnd)) r.probeEnd = undefined;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    if (seqGt(ack, this.sndMax)) this.sndMax = ack;
    this.probeEnd = undefined;
    sampled = this.sampleRtt(ack, now) || sampled;
    if (!sampled) this.sampleTimestampRtt(now);
    this.retries = 0;
    if (seqGe(ack, this.recover)) this.undoIfOriginalsArrived();

    const mss = this.effMss;
    if (this.inRecovery && this.sackOk) {
      // RFC 6675 §5: recovery ends once everything outstanding at its start is acknowledged;
      // cwnd stays at ssthresh, where the controller put it. RACK finds further losses.
      if (seqGe(ack, this.recover)) {
        this.inRecovery = false;
        this.dupAcks = 0;
        this.rack.onRecoveryEnd();
      }
    } else if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        // Full acknowledgement: leave recovery (RFC 6582 §3.2 step 3, option 1).
        const flight = seqDiff(this.sndMax, ack);
        this.cc.setWindow(Math.min(this.cc.ssthresh, Math.max(flight, mss) + mss));
        this.inRecovery = false;
        this.dupAcks = 0;
      } else {
        // Partial acknowledgement: the next hole is lost too.
        this.retransmitFirst(now);
        this.cc.setWindow(Math.max(this.cc.window - acked + (acked >= mss ? mss : 0), mss));
        this.rtoAt = now + this.rto.rto;
      }
    } else {
      this.dupAcks = 0;
      this.cc.onAck(acked, now, this.rto.srtt);
      // Growing cwnd past what could ever be in flight only hides later congestion.
      this.cc.capTo(2 * Math.max(this.config.sendBufferSize, this.maxSndWnd));
    }

    // RFC 6298 §5.3: restart the timer on new data acknowledged (NewReno's partial ACKs did above).
    if (this.sndUna === this.sndMax) this.rtoAt = UNARMED;
    else if (!this.inRecovery || this.sackOk) this.rtoAt = now + this.rto.rto;
    if (dataAcked > 0 && this.wantWritable) this.writablePending = true;
  }

  private writablePending = false;

  private onDupAck(now: number, flight: number): void {
    this.stats.dupAcksReceived++;
    this.dupAcks++;
    const mss = this.effMss;
    if (this.inRecovery) {
      // Each duplicate means a segment left the network: let new data out in its place.
      this.cc.setWindow(this.cc.window + mss);
      return;
    }
    // RFC 6582 §3.2 step 2: no new recovery for losses from before the last one.
    if (this.dupAcks === 3 && seqGt(this.sndUna, this.recover)) {
      this.stats.fastRetransmits++;
      this.cc.onLoss(now, flight);
      this.recover = this.sndMax;
      this.retransmitFirst(now);
      this.cc.setWindow(this.cc.ssthresh + 3 * mss);
      this.inRecovery = true;
      this.rtoAt = now + this.rto.rto;
    }
  }

  // ============================================================== RACK-TLP (SACK only)

  private get sent(): SentSegments {
    this.sentSegs ??= new SentSegments();
    return this.sentSegs;
  }

  private get rack(): RackState {
    this.rackState ??= new RackState();
    return this.rackState;
  }

  private disarmRack(): void {
    const r = this.rackState;
    if (r === undefined) return;
    r.reoTimerAt = UNARMED;
    r.probeAt = UNARMED;
    r.probeEnd = undefined;
  }

  /** RFC 8985 §6.2 on each ACK: note what it delivered, then look for losses. */
  private rackOnAck(now: number): void {
    if (delivered.length > 0) {
      const d = this.sent.deliver(delivered, this.rack.minRttMs, now);
      delivered.length = 0;
      if (d.reordered) this.rack.onReordering(d.reorderedRttMs);
      if (d.latest !== undefined) this.rack.update(d.latest.sentAt, d.latest.end, now);
    }
    this.rackDetectLoss(now);
  }

  private rackDetectLoss(now: number): void {
    const sent = this.sentSegs;
    const rack = this.rackState;
    if (rack === undefined) return;
    rack.reoTimerAt = UNARMED;
    if (sent === undefined || sent.isEmpty || rack.xmitTs === Number.NEGATIVE_INFINITY) return;
    const reoWnd = rack.reoWnd(
      this.inRecovery,
      (this.sackBoard?.sackedBytes ?? 0) / this.effMss,
      this.reoWndCap(),
    );
    rack.reoTimerAt = sent.detectLosses(rack.xmitTs, rack.endSeq, rack.rttMs, reoWnd, now);
    if (sent.newlyLost === 0) return;
    this.stats.rackLosses += sent.newlyLost;
    // RFC 6582 §3.2 step 2 carried over: no new recovery for losses from before the last one
    // (after a timeout, go-back-N is already resending them).
    if (!this.inRecovery && this.retries === 0 && seqGt(this.sndUna, this.recover)) {
      this.stats.fastRetransmits++;
      this.beginEpisode();
      this.cc.onLoss(now, seqDiff(this.sndMax, this.sndUna));
      this.inRecovery = true;
      this.recover = this.sndMax;
      rack.probeAt = UNARMED;
    }
  }

  /**
   * Cap on RACK's reordering window. RFC 8985 caps it at SRTT; when data and ACKs are both
   * reordered, a late segment's RTT can exceed the fastest by more than that, so the cap here is
   * SRTT + 4 RTTVAR (the RTO without its floor), still well under the RTO itself.
   */
  private reoWndCap(): number | undefined {
    const srtt = this.rto.srtt;
    return srtt === undefined ? undefined : srtt + 4 * this.rto.rttvar;
  }

  /** The reordering timer: segments that were not yet overdue at the last ACK may be now. */
  private onReorderTimeout(now: number): void {
    this.rackDetectLoss(now);
  }

  /** A window cut starts: remember where, so D-SACKs for every retransmission after it can undo it. */
  private beginEpisode(): void {
    const r = this.rack;
    r.undoMarker = this.sndUna;
    r.undoRetransBytes = 0;
    r.undoRetransSent = false;
    r.undoRetransTsVal = undefined;
  }

  /** A D-SACK: the peer got [start, end) twice. Widens RACK's window; may show a cut was needless. */
  private onDsack(start: number, end: number): void {
    this.stats.dsacksReceived++;
    const r = this.rack;
    r.onDsack(this.sndUna, this.sndMax);
    if (r.undoMarker === undefined || !r.undoRetransSent || seqLt(start, r.undoMarker)) return;
    r.undoRetransBytes -= seqDiff(end, start);
    if (r.undoRetransBytes > 0) return;
    // Every byte retransmitted since the cut reached the peer twice: nothing was lost.
    this.stats.spuriousUndos++;
    this.cc.undo();
    r.undoMarker = undefined;
  }

  /** RFC 8985 §7.2: (re)arms the probe timeout after new data went out or SND.UNA advanced. */
  private armProbe(now: number): void {
    this.probeRearm = false;
    const srtt = this.rto.srtt;
    const sent = this.sentSegs;
    if (
      !this.sackOk ||
      this.inRecovery ||
      this.retries > 0 ||
      this.rackState?.probeEnd !== undefined ||
      sent === undefined ||
      sent.isEmpty ||
      srtt === undefined
    ) {
      if (this.rackState !== undefined) this.rackState.probeAt = UNARMED;
      return;
    }
    let pto = 2 * srtt;
    if (sent.length === 1) pto += WORST_CASE_DELAYED_ACK_MS;
    this.rack.probeAt = now + Math.max(pto, MIN_PTO_MS);
  }

  /** RFC 8985 §7.3: send one new segment if the peer's window allows, else resend the last one. */
  private onProbeTimeout(now: number): void {
    const r = this.rack;
    r.probeAt = UNARMED;
    const sent = this.sentSegs;
    if (!this.sackOk || this.inRecovery || r.probeEnd !== undefined || sent === undefined || sent.isEmpty)
      return;
    this.stats.tailLossProbes++;
    const before = this.sndMax;
    if (this.sndNxt === this.sndMax) {
      this.output(now, this.effMss);
    }
    if (this.sndMax === before) {
      const last = sent.last!;
      const len = Math.min(this.effMss, seqDiff(last.end, last.start));
      const start = seqAdd(last.end, -len);
      this.rttTiming = false;
      this.emit(start, len, this.finFlagFor(last.end) | TCP_ACK | TCP_PSH, true);
      sent.resent(start, last.end, now);
    }
    r.probeEnd = this.sndMax;
    this.rtoAt = now + this.rto.rto;
  }

  /** FIN rides on a resent segment that ends where the data does, if the FIN was sent before. */
  private finFlagFor(end: number): number {
    return this.finQueued && end === this.dataEnd() && seqGt(this.sndMax, this.dataEnd()) ? TCP_FIN : 0;
  }

  /** Resends the first segment RACK (or a timeout) deemed lost, if the pipe leaves room. */
  private retransmitLost(now: number, allowance: number): boolean {
    const sent = this.sentSegs;
    if (sent === undefined) return false;
    const lost = sent.firstLost();
    if (lost === undefined) return false;
    const len = Math.min(this.effMss, seqDiff(lost.end, lost.start));
    // RFC 6675 §5 (C): send while cwnd - pipe is at least one segment.
    if (sent.pipe() + len > this.cc.window + allowance) return false;
    const end = seqAdd(lost.start, len);
    this.rttTiming = false;
    this.emit(lost.start, len, this.finFlagFor(end) | TCP_ACK | TCP_PSH, true);
    sent.resent(lost.start, end, now);
    // Resending the first unacknowledged segment restarts the timer, as Linux does: its
    // answer is a round trip away from now. Otherwise the timer armed at the last ACK could
    // fire just before it (timestamps collapse a backed-off RTO to the 200 ms floor at once),
    // for a second, needless timeout that starts over from one segment.
    if (this.rtoAt === UNARMED || lost.start === this.sndUna) this.rtoAt = now + this.rto.rto;
    return true;
  }

  /**
   * With SACK, every ACK that delivers a segment sent only once gives an RTT sample (see
   * karnSampleSentAt), so a backed-off RTO collapses as soon as new data gets through, even while
   * retransmissions are in flight. Timing one segment at a time and dropping the measurement at
   * every retransmission left the RTO backed off through whole loss episodes: it doubled from
   * timeout to timeout up to its 60 s ceiling, a minute of silence on a lossy path.
   */
  private sampleDelivered(now: number): boolean {
    const sentAt = karnSampleSentAt(delivered, deliveredByFirstBlock);
    if (sentAt === undefined) return false;
    this.rto.sample(now - sentAt);
    return true;
  }

  private sampleRtt(ack: number, now: number): boolean {
    if (!this.rttTiming || seqLt(ack, this.rttSeq)) return false;
    this.rto.sample(now - this.rttStart);
    this.rttTiming = false;
    return true;
  }

  /**
   * RFC 7323 §4 (RTTM): an ACK that advances SND.UNA echoes the TSval of the segment that made
   * the peer send it, retransmission or not. Used only where Karn's rule gives no sample (the ACK
   * covers only retransmissions): the clock ticks in whole milliseconds, the per-segment transmit
   * times do not. Only advancing ACKs: a duplicate echoes an older segment's TSval.
   */
  private sampleTimestampRtt(now: number): void {
    if (ackTsEcr === undefined || ackTsEcr === 0) return;
    const rtt = (this.tsClock(now) - ackTsEcr) | 0;
    // A negative or absurd echo (a broken peer) is no sample.
    if (rtt >= 0 && rtt <= this.config.maxRtoMs) this.rto.sample(rtt);
  }

  /**
   * Eifel detection (RFC 3522), checked as Linux does once the episode's data is all
   * acknowledged: the peer's TS.Recent only moves forward and only from a segment at its left
   * edge, so an echo older than the episode's first retransmission means no retransmission ever
   * filled a hole: the originals all arrived, late, and the window cut was needless.
   */
  private undoIfOriginalsArrived(): void {
    const r = this.rackState;
    if (
      r === undefined ||
      r.undoMarker === undefined ||
      !r.undoRetransSent ||
      r.undoRetransTsVal === undefined ||
      ackTsEcr === undefined ||
      ackTsEcr === 0 ||
      !tsBefore(ackTsEcr, r.undoRetransTsVal)
    )
      return;
    this.stats.spuriousUndos++;
    this.stats.timestampUndos++;
    this.cc.undo();
    r.undoMarker = undefined;
  }

  /**
   * Our timestamp clock: milliseconds, offset per connection by the ISS (RFC 7323 §7.1). It never
   * goes back, even when the injected clock is wall time stepped back: a peer doing PAWS (Linux)
   * would drop every segment with an older TSval than one it has seen, and the connection stall.
   */
  private tsClock(now: number): number {
    const v = (Math.floor(now) + this.iss) | 0;
    if (!tsBefore(v, this.tsLast)) this.tsLast = v;
    return this.tsLast >>> 0;
  }

  private timestampBytes(): number {
    return this.tsOk ? TIMESTAMPS_OPTION_BYTES : 0;
  }

  /**
   * RFC 7323 §4.3: TS.Recent takes the TSval of an acceptable segment at or below the last
   * ACK we sent (RCV.NXT now, before this segment moves it), so with several segments per ACK
   * the ACK echoes the oldest. PAWS (§5) is not done: segments only arrive through WireGuard,
   * whose replay window already drops old and duplicated packets.
   */
  private noteTimestamp(seg: TcpSegment, seq: number): void {
    const tsVal = seg.tsVal;
    if (!this.tsOk || tsVal === undefined || seqGt(seq, this.lastAckSent)) return;
    if (!tsBefore(tsVal, this.tsRecent)) this.tsRecent = tsVal | 0;
  }

  private receiveText(seq: number, payload: Uint8Array, now: number): void {
    this.stats.bytesReceived += payload.length;
    if (seq === this.rcvNxt) {
      // Copied unless the packet buffer was handed to us (see input()).
      if (!this.discardInput) this.enqueueForApp(this.inputOwned ? payload : payload.slice());
      this.rcvNxt = seqAdd(this.rcvNxt, payload.length);
      if (!this.ooo.isEmpty) {
        this.rcvNxt = this.ooo.drain(this.rcvNxt, (chunk) => this.enqueueForApp(chunk));
        // Filling a hole: ACK at once so the sender leaves recovery quickly (RFC 5681 §4.2).
        this.ackNow = true;
      }
      this.unackedBytes += payload.length;
      this.autotuneReceiveBuffer(now);
      if (this.unackedBytes >= 2 * this.effMss) {
        // One ACK per two segments, as RFC 9293 asks, costs the receiver a
        // seal and a send per ACK and the sender an open per ACK. Segments
        // arrive in batches (one read of the UDP socket), so the ACK waits for
        // the end of the batch, covering up to MAX_STRETCH_SEGMENTS, like
        // Linux's ACKs after GRO.
        if (this.unackedBytes >= MAX_STRETCH_SEGMENTS * this.effMss || !this.deferAck(now))
          this.ackNow = true;
      } else if (this.delAckAt === UNARMED) this.delAckAt = now + this.config.delayedAckMs;
    } else {
      this.stats.outOfOrderSegments++;
      if (this.ooo.insert(seq, payload)) this.lastOooSeq = seq;
      else this.stats.outOfOrderDropped++;
      // Immediate duplicate ACK drives the peer's fast retransmit.
      this.ackNow = true;
    }
  }

  /**
   * Receive-buffer autotuning, after Linux's dynamic right-sizing: once per round trip (our
   * SRTT, which the handshake alone already gives), if the app took more than half the buffer,
   * the buffer grows to twice that (at least doubling) so the window never caps the rate; at
   * most to maxReceiveBufferSize. Counting what the app read, not what arrived, keeps a paused
   * or slow reader from growing it. It never shrinks.
   */
  private autotuneReceiveBuffer(now: number): void {
    const srtt = this.rto.srtt;
    if (srtt === undefined || this.rcvBuf >= this.config.maxReceiveBufferSize) return;
    if (now - this.rcvSpaceAt < Math.max(srtt, 1)) return;
    const mark = seqAdd(this.rcvNxt, -this.rcvQueued);
    const copied = seqDiff(mark, this.rcvSpaceMark);
    const first = this.rcvSpaceAt < 0;
    this.rcvSpaceAt = now;
    this.rcvSpaceMark = mark;
    if (first || 2 * copied <= this.rcvBuf) return;
    this.rcvBuf = Math.min(Math.max(2 * copied, 2 * this.rcvBuf), this.config.maxReceiveBufferSize);
    this.ooo.allowFragments(Math.ceil(this.rcvBuf / this.effMss));
  }

  private deferAck(now: number): boolean {
    if (this.ackDeferred) return true;
    if (!this.host.deferAck(this)) return false;
    this.ackDeferred = true;
    // If the batch never ends (a host bug), the delayed-ACK timer still sends it.
    if (this.delAckAt === UNARMED) this.delAckAt = now + this.config.delayedAckMs;
    return true;
  }

  /** The receive batch is over: send the ACK deferred during it, unless a segment already carried it. */
  flushAck(now: number): void {
    if (!this.ackDeferred) return;
    this.ackDeferred = false;
    if (this.isClosed()) return;
    if (this.unackedBytes > 0) this.ackNow = true;
    this.transmit(now);
    this.syncTimers();
  }

  private enqueueForApp(chunk: Uint8Array): void {
    if (this.discardInput) return;
    this.rcvQueue.push(chunk);
    this.rcvQueued += chunk.length;
  }

  private maybeProcessFin(now: number): void {
    if (this.finReceived || this.rcvFinSeq === undefined || this.rcvNxt !== this.rcvFinSeq) return;
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;
    this.ooo.clear();
    switch (this.st) {
      case "SYN-RECEIVED":
      case "ESTABLISHED":
        this.st = "CLOSE-WAIT";
        break;
      case "FIN-WAIT-1":
        if (seqGe(this.sndUna, seqAdd(this.dataEnd(), 1))) this.enterTimeWait(now);
        else this.st = "CLOSING";
        break;
      case "FIN-WAIT-2":
        this.enterTimeWait(now);
        break;
    }
  }

  // =========================================================================== output

  private dataEnd(): number {
    return seqAdd(this.bufSeq, this.sendBuf.length);
  }

  private canWrite(): boolean {
    if (this.finQueued) return false;
    return (
      this.st === "SYN-SENT" ||
      this.st === "SYN-RECEIVED" ||
      this.st === "ESTABLISHED" ||
      this.st === "CLOSE-WAIT"
    );
  }

  /** Advertisable receive window in bytes: free buffer space, never pulling the right edge back. */
  private receiveWindow(): number {
    const free = Math.max(this.rcvBuf - this.rcvQueued, 0);
    const promised = Math.max(seqDiff(this.rcvAdvEdge, this.rcvNxt), 0);
    const limit = this.rcvShift === 0 ? 0xffff : 0xffff << this.rcvShift;
    return Math.min(Math.max(free, promised), limit);
  }

  /** The 16-bit window for the next segment, with receiver-side silly window avoidance (RFC 9293 §3.8.6.2.2). */
  private windowToAdvertise(): number {
    const free = Math.max(this.rcvBuf - this.rcvQueued, 0);
    const promised = Math.max(seqDiff(this.rcvAdvEdge, this.rcvNxt), 0);
    const threshold = Math.min(this.rcvBuf >> 1, this.effMss);
    const opening = free - promised >= threshold;
    let wnd = opening ? free : promised;
    const limit = this.rcvShift === 0 ? 0xffff : 0xffff << this.rcvShift;
    if (wnd > limit) wnd = limit;
    // Opening: round up (at most 2^shift - 1 bytes past the buffer). Holding an earlier promise:
    // round down, since rounding that up again on every ACK would creep the edge further past
    // the buffer each time; the earlier edge stays honoured (receiveWindow()), so a peer that
    // reads the smaller figure as a shrink by less than one unit loses nothing.
    const unit = 2 ** this.rcvShift;
    const wire = Math.min(opening ? Math.ceil(wnd / unit) : Math.floor(wnd / unit), 0xffff);
    const edge = seqAdd(this.rcvNxt, wire * 2 ** this.rcvShift);
    if (seqGt(edge, this.rcvAdvEdge)) this.rcvAdvEdge = edge;
    return wire;
  }

  /** Would a window update now move the right edge enough to be worth a segment? */
  private windowUpdateWorthSending(): boolean {
    // Before any data the SYN's window stands; the first ACK we send carries the real one anyway.
    if (this.rcvNxt === seqAdd(this.irs, 1)) return false;
    const free = Math.max(this.rcvBuf - this.rcvQueued, 0);
    const promised = Math.max(seqDiff(this.rcvAdvEdge, this.rcvNxt), 0);
    const threshold = Math.min(this.rcvBuf >> 1, this.effMss);
    return free - promised >= threshold && (promised < this.effMss || free - promised >= this.rcvBuf >> 1);
  }

  /** Builds and sends one segment. `payloadFrom` is a sequence number inside the send buffer. */
  private emit(
    seq: number,
    len: number,
    flags: number,
    retransmission = false,
    timestamps = this.tsOk,
  ): void {
    const o = this.out;
    o.seq = seq;
    o.flags = flags;
    if (timestamps) {
      o.tsVal = this.tsClock(this.host.now());
      // A SYN echoes nothing; a SYN-ACK echoes the SYN (acceptSyn set tsRecent).
      o.tsEcr = flags & TCP_ACK ? this.tsRecent >>> 0 : 0;
    } else {
      o.tsVal = undefined;
      o.tsEcr = undefined;
    }
    if (flags & TCP_ACK) {
      o.ack = this.rcvNxt;
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
      this.unackedBytes = 0;
      this.delAckAt = UNARMED;
    } else {
      o.ack = 0;
    }
    o.window = flags & TCP_SYN ? Math.min(this.rcvBuf, 0xffff) : this.windowToAdvertise();
    // Only on segments without payload, so the option never pushes a full segment past the MTU.
    o.sackBlocks =
      this.sackOk && len === 0 && !(flags & TCP_SYN) && (!this.ooo.isEmpty || this.dsackStart !== undefined)
        ? this.sackBlocksToSend()
        : undefined;
    if (flags & TCP_SYN) this.rcvAdvEdge = seqAdd(this.rcvNxt, o.window);
    const packet = encodeTcpPacket(o, len > 0 ? this.sendBuf : null, seqDiff(seq, this.bufSeq), len);
    this.stats.segmentsSent++;
    if (retransmission) {
      this.stats.retransmittedSegments++;
      const r = this.rackState;
      if (r?.undoMarker !== undefined && len > 0) {
        r.undoRetransBytes += len;
        if (!r.undoRetransSent) r.undoRetransTsVal = o.tsVal;
        r.undoRetransSent = true;
      }
    } else this.stats.bytesSent += len;
    this.host.send(packet);
  }

  /** RFC 2883: the D-SACK (if one is pending) first, then the held out-of-order ranges. */
  private sackBlocksToSend(): number[] {
    const max = this.tsOk ? MAX_SACK_BLOCKS_WITH_TIMESTAMPS : MAX_SACK_BLOCKS;
    if (this.dsackStart === undefined) return this.ooo.sackBlocks(this.lastOooSeq, max);
    const blocks = [this.dsackStart, this.dsackEnd];
    this.dsackStart = undefined;
    if (!this.ooo.isEmpty) blocks.push(...this.ooo.sackBlocks(this.lastOooSeq, max - 1));
    return blocks;
  }

  /** Data we already had arrived again: tell the sender (its RACK and undo learn from it), at once. */
  private noteDuplicate(start: number, end: number): void {
    if (!this.sackOk || !seqLt(start, end)) return;
    this.dsackStart = start;
    this.dsackEnd = end;
    this.ackNow = true;
  }

  private sendRst(seq: number, ack: number, withAck: boolean): void {
    const o = this.out;
    o.seq = seq;
    o.ack = withAck ? ack : 0;
    o.flags = withAck ? TCP_RST | TCP_ACK : TCP_RST;
    o.window = 0;
    // RFC 7323 §3.2: a RST need not carry timestamps; nor SACK blocks left from the last segment.
    o.tsVal = undefined;
    o.tsEcr = undefined;
    o.sackBlocks = undefined;
    this.stats.segmentsSent++;
    this.host.send(encodeTcpPacket(o, null, 0, 0));
  }

  private challengeAck(): void {
    this.stats.challengeAcks++;
    this.ackNow = true;
  }

  /** Resends the first unacknowledged segment (fast retransmit, partial ACKs). */
  private retransmitFirst(now: number): void {
    this.rttTiming = false;
    const avail = Math.max(seqDiff(this.dataEnd(), this.sndUna), 0);
    const len = Math.min(this.effMss, avail);
    let flags = TCP_ACK;
    if (this.finQueued && len === avail && seqGt(this.sndMax, this.dataEnd())) flags |= TCP_FIN;
    if (len === 0 && !(flags & TCP_FIN)) return;
    if (len > 0) flags |= TCP_PSH;
    this.emit(this.sndUna, len, flags, true);
    if (this.rtoAt === UNARMED) this.rtoAt = now + this.rto.rto;
  }

  /**
   * Sends whatever the windows allow, then the FIN if it is due. `allowance`: bytes a tail
   * loss probe may send past cwnd (RFC 8985 §7.3: the probe ignores cwnd).
   */
  private output(now: number, allowance = 0): void {
    if (!isSynchronized(this.st)) return;
    const mss = this.effMss;
    for (;;) {
      // With SACK, segments deemed lost go before new data.
      if (this.sackOk && this.sndNxt === this.sndMax && this.retransmitLost(now, allowance)) continue;
      // Going back after a timeout: skip what the peer already holds.
      let sackLimit: number | undefined;
      const sacks = this.sackBoard;
      if (this.sackOk && sacks !== undefined && !sacks.isEmpty && seqLt(this.sndNxt, this.sndMax)) {
        const covered = sacks.coveredUntil(this.sndNxt);
        if (covered !== undefined) {
          this.sndNxt = covered;
          continue;
        }
        sackLimit = sacks.nextStartAfter(this.sndNxt);
      }
      const dataEnd = this.dataEnd();
      const unsent = seqDiff(dataEnd, this.sndNxt);
      const finDue = this.finQueued && seqLe(this.sndNxt, dataEnd);
      if (unsent <= 0 && !finDue) break;
      const inflight = seqDiff(this.sndNxt, this.sndUna);
      // With SACK, cwnd limits RFC 6675's pipe (SACKed and lost segments have left the
      // network), which also does what limited transmit does. Going back after a timeout,
      // and without SACK, it limits the sequence space in flight.
      const pipe = this.sackOk && this.sndNxt === this.sndMax ? (this.sentSegs?.pipe() ?? 0) : inflight;
      // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one
      // new segment out, so a small window still produces the third duplicate.
      const extra =
        !this.sackOk && !this.inRecovery && this.dupAcks > 0 && this.dupAcks < 3 ? this.dupAcks * mss : 0;
      const usable = Math.min(this.cc.window + extra + allowance - pipe, this.sndWnd - inflight);
      let len = Math.min(mss, Math.max(unsent, 0), Math.max(usable, 0));
      if (sackLimit !== undefined) len = Math.min(len, seqDiff(sackLimit, this.sndNxt));
      if (unsent > 0 && len === 0) break;
      // Sender-side silly window avoidance: a runt that is neither the tail nor
      // a large share of the peer's window waits while ACKs are still due.
      if (len < mss && len < unsent && len < this.maxSndWnd / 2 && inflight > 0) break;
      if (len < 0) len = 0;
      const isRetransmit = seqLt(this.sndNxt, this.sndMax);
      let flags = TCP_ACK;
      if (len > 0 && len === unsent) flags |= TCP_PSH;
      const finHere = this.finQueued && len === unsent;
      if (finHere) flags |= TCP_FIN;
      // Without SACK one segment at a time is timed (with SACK, sampleDelivered() times them all).
      if (!isRetransmit && !this.rttTiming && !this.sackOk && len > 0) {
        this.rttTiming = true;
        this.rttSeq = seqAdd(this.sndNxt, len);
        this.rttStart = now;
      }
      if (isRetransmit) this.rttTiming = false;
      this.emit(this.sndNxt, len, flags, isRetransmit);
      if (this.sackOk && len > 0) {
        const end = seqAdd(this.sndNxt, len);
        if (isRetransmit) this.sent.resent(this.sndNxt, end, now);
        else {
          this.sent.sent(this.sndNxt, end, now);
          this.probeRearm = true;
        }
      }
      this.sndNxt = seqAdd(this.sndNxt, len + (finHere ? 1 : 0));
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      if (this.rtoAt === UNARMED) this.rtoAt = now + this.rto.rto;
      if (finHere) break;
    }
    // Zero window with data waiting and nothing in flight: only a probe can learn when it reopens.
    const waiting = seqLt(this.sndNxt, this.dataEnd());
    if (this.sndWnd === 0 && waiting && this.sndNxt === this.sndUna && this.rtoAt === UNARMED) {
      if (this.persistAt === UNARMED) {
        if (this.persistInterval === 0) this.persistInterval = this.rto.rto;
        this.persistAt = now + this.persistInterval;
      }
    }
  }

  private onRetransmitTimeout(now: number): void {
    this.rtoAt = UNARMED;
    this.stats.timeouts++;
    this.retries++;
    const synPhase = this.st === "SYN-SENT" || this.st === "SYN-RECEIVED";
    const limit = synPhase ? this.config.maxSynRetransmits : this.config.maxRetransmits;
    if (this.retries > limit) {
      if (this.st !== "SYN-SENT") this.sendRst(this.sndMax, this.rcvNxt, true);
      this.enterClosed("timeout");
      return;
    }
    this.rto.backoff();
    // Karn: nothing sent before this point may be timed any more.
    this.rttTiming = false;
    if (synPhase) {
      // RFC 5681 §3.1: a lost SYN means starting with one segment.
      this.cc.setWindow(this.effMss);
      this.emitSyn(this.st === "SYN-RECEIVED", true);
      this.rtoAt = now + this.rto.rto;
      return;
    }
    const flight = seqDiff(this.sndMax, this.sndUna);
    // A timeout during recovery, or a second one in a row, belongs to the episode already open.
    const newEpisode = !this.inRecovery && this.retries === 1;
    if (newEpisode) this.beginEpisode();
    this.cc.onTimeout(now, flight, newEpisode);
    this.inRecovery = false;
    this.dupAcks = 0;
    this.recover = this.sndMax;
    this.disarmRack();
    // A second timeout in a row may mean the peer dropped data it SACKed
    // (reneging, RFC 2018 §8): stop trusting the scoreboard.
    if (this.retries >= 2) this.sackBoard?.clear();
    const sent = this.sentSegs;
    sent?.markAllLost(this.retries >= 2);
    if (sent === undefined || sent.lostBytes() === 0) {
      // Without SACK, or with only a FIN to resend: go back to the first unacknowledged byte;
      // the receiver's reassembly queue usually lets one retransmission advance the ACK past
      // everything else.
      this.sndNxt = this.sndUna;
    }
    // With SACK, RFC 8985 §6.3: everything not SACKed is lost and goes out again, lowest first,
    // as the pipe allows (output() resends lost segments before new data), while RACK keeps
    // watching: a resent segment lost again is found lost, and resent, once one resent after it
    // is SACKed. A go-back-N pass instead left it for the next timeout, at twice the RTO, and
    // Karn's rule (nothing but retransmissions in flight) kept the doubled RTO for the next.
    this.output(now);
    // The window closed under data in flight: the persist timer now owns the
    // probing. Otherwise keep the retransmission clock running.
    if (this.rtoAt === UNARMED && this.persistAt === UNARMED && seqLt(this.sndUna, this.sndMax)) {
      this.rtoAt = now + this.rto.rto;
    }
  }

  private onPersistTimeout(now: number): void {
    this.persistAt = UNARMED;
    if (this.sndWnd !== 0 || !seqLt(this.sndNxt, this.dataEnd())) return;
    this.stats.persistProbes++;
    // One new byte past the closed window (RFC 9293 §3.8.6.1). It is not counted
    // as sent, so the window reopening simply lets output() send it again if needed.
    this.emit(this.sndNxt, 1, TCP_ACK, false);
    this.probeEnd = seqAdd(this.sndNxt, 1);
    this.persistInterval = Math.min(Math.max(this.persistInterval, this.rto.rto) * 2, this.config.maxRtoMs);
    this.persistAt = now + this.persistInterval;
  }

  // ====================================================================== after each event

  /** Delivers to the app, sends what is due, and fires deferred events, in an order safe for re-entry. */
  private afterEvent(now: number): void {
    // App callbacks first, so data taken by the app opens the window the next ACK advertises.
    this.dispatch();
    if (!this.isClosed()) this.transmit(now);
  }

  /** Sends what the windows allow, plus an ACK or window update if one is owed. */
  private transmit(now: number): void {
    this.output(now);
    if (this.probeRearm) this.armProbe(now);
    if (!this.ackNow && isSynchronized(this.st) && this.windowUpdateWorthSending()) this.ackNow = true;
    if (this.ackNow && !this.isClosed() && this.st !== "SYN-SENT") {
      // SND.MAX, not SND.NXT: after a timeout rewinds SND.NXT, the peer's RCV.NXT may already be past it.
      this.emit(this.st === "SYN-RECEIVED" ? this.sndNxt : this.sndMax, 0, TCP_ACK);
    }
  }

  private dispatching = false;
  private redispatch = false;

  /**
   * Runs the app's callbacks. Never nested: a callback that triggers more events
   * (resume() inside onWritable, abort() inside onData) makes the outer loop go
   * round again instead of recursing into half-updated state.
   */
  private dispatch(): void {
    if (this.dispatching) {
      this.redispatch = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.redispatch = false;
        if (this.establishedPending) {
          this.establishedPending = false;
          this.host.established(this);
          this.onEstablished?.();
        }
        this.deliverToApp();
        if (this.writablePending) {
          this.writablePending = false;
          if (this.canWrite() && this.sendBuf.free > 0) {
            this.wantWritable = false;
            this.onWritable?.();
          }
        }
        this.maybeEmitClose();
      } while (this.redispatch);
    } finally {
      this.dispatching = false;
    }
  }

  private deliverToApp(): void {
    while (this.rcvQueue.length > 0 && !this.paused && this.onData !== undefined) {
      const chunk = this.rcvQueue.shift()!;
      this.rcvQueued -= chunk.length;
      this.onData(chunk);
    }
    if (this.finReceived && !this.endDelivered && this.rcvQueue.length === 0) {
      this.endDelivered = true;
      this.onEnd?.();
    }
  }

  private enterTimeWait(now: number): void {
    this.st = "TIME-WAIT";
    this.rtoAt = UNARMED;
    this.persistAt = UNARMED;
    this.disarmRack();
    this.timeWaitAt = now + 2 * this.config.mslMs;
    this.closeReason ??= "normal";
  }

  private enterClosed(reason: TcpCloseReason): void {
    this.st = "CLOSED";
    this.closeReason ??= reason;
    this.rtoAt = UNARMED;
    this.persistAt = UNARMED;
    this.delAckAt = UNARMED;
    this.timeWaitAt = UNARMED;
    this.rackState = undefined;
    this.sentSegs = undefined;
    this.ooo.clear();
    if (this.closeReason !== "normal") {
      // A reset or abort voids the stream; unread data is not delivered after it.
      this.rcvQueue.length = 0;
      this.rcvQueued = 0;
    }
    if (!this.releasedFlag) {
      this.releasedFlag = true;
      this.host.released(this);
    }
    this.dispatch();
  }

  private maybeEmitClose(): void {
    if (this.closeEmitted || this.closeReason === undefined) return;
    // A graceful close waits until the app has seen every byte and the peer's end of stream.
    if (this.closeReason === "normal" && this.finReceived && !this.endDelivered) return;
    this.closeEmitted = true;
    this.rcvQueue.length = 0;
    this.rcvQueued = 0;
    this.onClose?.(this.closeReason);
  }
}
