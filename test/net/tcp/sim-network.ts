/**
 * A deterministic simulated IPv4 network for exercising the TCP layer in
 * tests and benchmarks: a fake clock that jumps from event to event, and a
 * seeded PRNG that decides loss, duplication, reordering and jitter. The same
 * seed always replays the same run, so failures reproduce exactly.
 */
import { type Ipv4Header, parseIpv4 } from "../../../agent/net/ipv4.ts";

/** mulberry32: tiny, fast, and good enough to drive a fault model. */
export class SeededRandom {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.uint32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
}

export interface LinkProfile {
  /** Probability each packet is lost. */
  loss: number;
  /** Probability each packet is delivered twice. */
  duplicate: number;
  /** Probability a packet is held back by `reorderDelayMs` extra, letting later ones overtake it. */
  reorder: number;
  delayMs: number;
  jitterMs: number;
  reorderDelayMs: number;
}

export const PERFECT_LINK: LinkProfile = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  delayMs: 5,
  jitterMs: 0,
  reorderDelayMs: 0,
};

/** What attaches to the network: the TCP layer, or anything shaped like a protocol handler. */
export interface SimNode {
  input(h: Ipv4Header, payload: Uint8Array, now: number): void;
  tick(now: number): void;
  readonly nextDeadline: number;
}

/** Inspects (and may drop) each packet as it is sent. Return false to drop it. */
export type PacketTap = (packet: Uint8Array, h: Ipv4Header, now: number) => boolean;

interface Pending {
  at: number;
  order: number;
  packet: Uint8Array;
}

export interface SimStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  tapped: number;
}

export class SimNetwork {
  now = 0;
  tap: PacketTap | undefined;
  readonly stats: SimStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, tapped: 0 };
  private readonly rng: SeededRandom;
  private readonly heap: Pending[] = [];
  private order = 0;
  private readonly nodes = new Map<number, SimNode>();
  /** Latest scheduled arrival per destination: jitter alone keeps a link FIFO, as real paths mostly are. */
  private readonly lastArrival = new Map<number, number>();

  constructor(
    seed: number,
    public profile: LinkProfile = PERFECT_LINK,
  ) {
    this.rng = new SeededRandom(seed);
  }

  attach(ip: number, node: SimNode): void {
    this.nodes.set(ip >>> 0, node);
  }

  /** A PRNG stream derived from the network's, for ISNs and ports in tests. */
  random(): SeededRandom {
    return new SeededRandom(this.rng.uint32());
  }

  readonly clock = (): number => this.now;

  /** The `send` callback to give a TCP layer. */
  readonly send = (packet: Uint8Array): void => {
    this.stats.sent++;
    const h = parseIpv4(packet);
    if (h === null) throw new Error("simulated network was handed a malformed IPv4 packet");
    if (this.tap !== undefined && !this.tap(packet, h, this.now)) {
      this.stats.tapped++;
      return;
    }
    const p = this.profile;
    if (this.rng.next() < p.loss) {
      this.stats.lost++;
      return;
    }
    const copies = this.rng.next() < p.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = this.now + p.delayMs + this.rng.next() * p.jitterMs;
      if (this.rng.next() < p.reorder) {
        this.stats.reordered++;
        at += p.reorderDelayMs;
      } else {
        at = Math.max(at, this.lastArrival.get(h.dst) ?? 0);
        this.lastArrival.set(h.dst, at);
      }
      this.push({ at, order: this.order++, packet });
    }
  };

  /** Injects a packet for delivery after `delayMs`, bypassing the fault model. */
  inject(packet: Uint8Array, delayMs = 0): void {
    this.push({ at: this.now + delayMs, order: this.order++, packet });
  }

  /**
   * Processes events until `done()` holds or simulated time passes `limitMs`
   * from now. Returns whether `done()` held. Bounded in steps too, so a
   * runaway timer fails the test instead of hanging it.
   */
  runUntil(done: () => boolean, limitMs: number, maxSteps = 5_000_000): boolean {
    const end = this.now + limitMs;
    for (let step = 0; step < maxSteps; step++) {
      if (done()) return true;
      const next = this.nextEventTime();
      if (next > end) {
        this.now = end;
        return done();
      }
      this.now = Math.max(this.now, next);
      this.deliverDue();
      for (const node of this.nodes.values()) {
        if (node.nextDeadline <= this.now) node.tick(this.now);
      }
    }
    throw new Error(`simulation did not settle within ${maxSteps} steps`);
  }

  /** Runs for exactly `ms` of simulated time. */
  advance(ms: number): void {
    this.runUntil(() => false, ms);
  }

  get pendingPackets(): number {
    return this.heap.length;
  }

  private nextEventTime(): number {
    let next = this.heap.length > 0 ? this.heap[0]!.at : Number.POSITIVE_INFINITY;
    for (const node of this.nodes.values()) {
      const d = node.nextDeadline;
      if (d < next) next = d;
    }
    return next;
  }

  private deliverDue(): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= this.now) {
      const p = this.pop();
      const h = parseIpv4(p.packet);
      if (h === null) continue;
      const node = this.nodes.get(h.dst);
      if (node === undefined) continue;
      this.stats.delivered++;
      node.input(h, p.packet.subarray(h.headerLength, h.totalLength), this.now);
    }
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
