/**
 * The engine: one WireGuard Device with the user-space IPv4 stack on its
 * inside (ICMP, UDP with an echo service on port 7, TCP through one
 * TcpDriver, and the expose service), the tick that drives their timers, and
 * the loop that performs the core's actions. The daemon and the runnable peer
 * both run exactly this; they differ only in where a datagram goes
 * (`transmit`) and what they do with the core's events.
 *
 * The core is sans-I/O and so is this class, apart from its timers: datagrams
 * come in through `input` and leave through `transmit`. `Via` is whatever the
 * caller attaches to an input or an inner send and wants back with the
 * datagrams the core answers with (the daemon: the path it came in on; the
 * peer: nothing). See docs/architecture.md, "A datagram's walk".
 */
import { NetStack } from "../net/stack.ts";
import { Udp, udpEcho } from "../net/udp.ts";
import { ExposeService } from "../tunnel/expose.ts";
import { TcpDriver } from "../tunnel/tcp-driver.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Action, Endpoint } from "../wireguard/actions.ts";
import { Device } from "../wireguard/index.ts";

/**
 * How often the core's timers (handshake retries, keepalives, key expiry), the
 * IP stack's timers and the daemon's per-peer work (probes, STUN, network
 * checks) run. 50 ms: path probes are due every 250 ms while traffic flows and
 * a dead direct path must be noticed within about a second, so a coarser tick
 * would add visible latency to failover; WireGuard's own timers are whole
 * seconds, and TCP keeps its own precise timer (TcpDriver), so a finer one
 * would only burn CPU.
 */
export const TICK_MS = 50;

/** Echo on UDP port 7 inside the tunnel (RFC 862): `tether agent ping --udp` and tests measure against it. */
export const UDP_ECHO_PORT = 7;

/** IPv4 + TCP headers without options: the MSS is the tunnel MTU less these. */
const TCP_IP_HEADERS = 40;

export type SendAction = Extract<Action, { type: "send" }>;

export interface EngineOptions<Via> {
  privateKey: Uint8Array;
  /** Our tunnel address. */
  address: number;
  mtu: number;
  clock: Clock;
  log: Logger;
  /** Puts one datagram the core produced on the wire; `via` is what the input or inner send carried. */
  transmit(send: SendAction, via: Via | null): void;
  /**
   * Sees every decrypted inner packet before the IP stack; returns true when it
   * consumed the packet (the daemon's path probes and call-me-maybe).
   */
  intercept?(peer: string, packet: Uint8Array, via: Via | null, now: number): boolean;
  /** Every other action: handshake-complete, drop, endpoint-changed, session-expired. */
  onEvent?(
    action: Exclude<Action, { type: "send" } | { type: "deliver" }>,
    via: Via | null,
    now: number,
  ): void;
  /** A packet from our own stack is about to leave for `peer` (traffic accounting for path choice). */
  onStackSend?(peer: string, now: number): void;
  /** Runs on every tick, after the core's and the stack's timers. */
  onTick?(now: number): void;
}

export class Engine<Via> {
  readonly device: Device;
  readonly stack: NetStack;
  readonly udp: Udp;
  readonly tcp: TcpDriver;
  readonly expose: ExposeService;
  /** Exceptions the core threw (a core bug): counted and logged, never allowed to stop the process. */
  coreErrors = 0;
  /** Clock time of the last tick; health checks compare it with now. */
  lastTickAt: number;
  private cancelTick: (() => void) | null = null;
  private readonly clock: Clock;

  constructor(private readonly opts: EngineOptions<Via>) {
    this.clock = opts.clock;
    this.lastTickAt = opts.clock.now();
    // The core pads to 16 bytes but never past the tunnel MTU, as wireguard-go does.
    this.device = new Device({ privateKey: opts.privateKey, mtu: opts.mtu });
    this.stack = new NetStack({
      address: opts.address,
      mtu: opts.mtu,
      send: (packet) => this.fromStack(packet),
    });
    this.udp = new Udp(this.stack);
    udpEcho(this.udp, UDP_ECHO_PORT);
    const now = () => this.clock.now();
    // MSS follows the tunnel MTU at start; see setMtu.
    this.tcp = new TcpDriver(this.stack, opts.mtu - TCP_IP_HEADERS, now);
    this.expose = new ExposeService(this.tcp, opts.log);
  }

  /** Starts the tick. */
  start(): void {
    if (this.cancelTick) return;
    const loop = () => {
      this.tick();
      this.cancelTick = this.clock.schedule(TICK_MS, loop);
    };
    this.cancelTick = this.clock.schedule(TICK_MS, loop);
  }

  stop(): void {
    this.cancelTick?.();
    this.cancelTick = null;
    this.expose.stop();
    this.tcp.stop();
  }

  /** One datagram from the network (`from`: where the core should believe it came from). */
  input(datagram: Uint8Array, from: Endpoint, via: Via): void {
    const now = this.clock.now();
    this.guarded("input", via, () => this.device.decapsulate(datagram, from, now), now);
  }

  /** An inner packet of our own (a probe, a call-me-maybe) to one peer, sent as `via` asks. */
  sendInside(peer: string, packet: Uint8Array, via: Via | null): void {
    const now = this.clock.now();
    this.guarded("output", via, () => this.device.encapsulateTo(peer, packet, now), now);
  }

  /** Starts a handshake with `peer` now. */
  initiateHandshake(peer: string): void {
    const now = this.clock.now();
    this.guarded("handshake", null, () => this.device.initiateHandshake(peer, now), now);
  }

  /**
   * A new tunnel MTU from agent values. NetStack keeps its MTU read-only for
   * its own users; the engine alone may change it. TCP lowers the MSS of live
   * connections too (never raises it: a raised MTU applies to new connections),
   * so a lowered MTU does not leave them sending segments that no longer fit.
   */
  setMtu(mtu: number): void {
    this.device.setMtu(mtu);
    (this.stack as unknown as { mtu: number }).mtu = mtu;
    this.tcp.tcp.setPathMtu(mtu);
  }

  /** One tick now (the timer calls it every TICK_MS). */
  tick(): void {
    const now = this.clock.now();
    this.lastTickAt = now;
    try {
      this.perform(this.device.updateTimers(now), null, now);
      this.stack.tick(now);
    } catch (e) {
      this.coreErrors++;
      this.opts.log.error("timer tick failed", { error: (e as Error).message });
    }
    this.opts.onTick?.(now);
  }

  /** An inner IPv4 packet from our stack: route it through WireGuard. */
  private fromStack(packet: Uint8Array): void {
    const now = this.clock.now();
    let actions: readonly Action[];
    try {
      actions = this.device.encapsulate(packet, now);
    } catch (e) {
      this.coreErrors++;
      this.opts.log.error("wireguard core threw on output", { error: (e as Error).message });
      return;
    }
    if (this.opts.onStackSend)
      for (const a of actions) if (a.type === "send") this.opts.onStackSend(a.peer, now);
    this.perform(actions, null, now);
  }

  /** Runs one core entry point; a throw is a core bug, counted rather than allowed to kill the process. */
  private guarded(what: string, via: Via | null, fn: () => readonly Action[], now: number): void {
    let actions: readonly Action[];
    try {
      actions = fn();
    } catch (e) {
      this.coreErrors++;
      this.opts.log.error(`wireguard core threw on ${what}`, { error: (e as Error).message });
      return;
    }
    this.perform(actions, via, now);
  }

  private perform(actions: readonly Action[], via: Via | null, now: number): void {
    for (const a of actions) {
      switch (a.type) {
        case "send":
          this.opts.transmit(a, via);
          break;
        case "deliver":
          if (!this.opts.intercept?.(a.peer, a.packet, via, now)) this.stack.input(a.packet, now, true);
          break;
        default:
          this.opts.onEvent?.(a, via, now);
      }
    }
  }
}
