import type { Endpoint } from "../wireguard/actions.ts";

/**
 * Chooses, per peer, whether WireGuard datagrams go over direct UDP or the
 * platform relay. Sans-I/O like the WireGuard core: the driver reports what
 * happened (authenticated packets, probe replies, traffic, relay state) and
 * asks what to do (which path now, which probes are due).
 *
 * The rules (docs/architecture.md, "Paths in brief"):
 * - A path is proven only by an authenticated WireGuard packet arriving on it;
 *   a UDP datagram from the right address proves nothing by itself.
 * - A proven direct path is preferred.
 * - While traffic flows, direct is probed often; if it goes quiet for
 *   `directQuietMs`, traffic moves to the relay.
 * - Direct keeps being re-probed; the first authenticated reply on it moves
 *   traffic back.
 * - Probes that find nothing new back off: with no traffic, direct (while it is
 *   not alive) and the relay (always, it is either the path or the standby) are
 *   probed at activeProbeMs, then twice as long after each probe, up to
 *   idleProbeMaxMs. An idle relayed pair then costs the relay object a message
 *   every minute or two instead of sixteen a second. Traffic, a network change,
 *   a new relay socket or a peer's call-me-maybe make probing fast again.
 * - While idle, an authenticated packet on the relay counts as a probe of it:
 *   the two sides' probes then take turns instead of doubling up.
 */

export type PathKind = "direct" | "relay";

export type PathChoice =
  | { readonly kind: "direct"; readonly endpoint: Endpoint }
  | { readonly kind: "relay" }
  /** Nothing proven yet: send on every path we have (the race). */
  | { readonly kind: "race"; readonly endpoints: readonly Endpoint[]; readonly relay: boolean };

export type ProbeRequest =
  | { readonly path: "direct"; readonly endpoint: Endpoint }
  | { readonly path: "relay" };

export interface PathTimings {
  /** Probe interval while traffic flows (and while nothing is proven). */
  activeProbeMs: number;
  /** Probe interval when idle: keeps NAT mappings warm and notices recovery. */
  idleProbeMs: number;
  /** Direct with no authenticated packet for this long, while traffic flows, is abandoned. */
  directQuietMs: number;
  /** Direct with no authenticated packet for this long is abandoned even when idle. */
  directIdleExpiryMs: number;
  /** Traffic counts as flowing for this long after the last send. */
  trafficWindowMs: number;
  /** Relay with no authenticated packet for this long (plus the current relay probe interval) is no longer "proven". */
  relayQuietMs: number;
  /** Longest interval probes back off to while nothing flows. */
  idleProbeMaxMs: number;
  /**
   * Relay probe interval while traffic flows on the relay. The traffic itself proves the
   * relay; these probes only sample its RTT, and each costs the relay object two messages.
   */
  relayActiveProbeMs: number;
}

export const DEFAULT_PATH_TIMINGS: PathTimings = {
  activeProbeMs: 250,
  idleProbeMs: 5_000,
  directQuietMs: 1_000,
  directIdleExpiryMs: 30_000,
  trafficWindowMs: 2_000,
  relayQuietMs: 30_000,
  idleProbeMaxMs: 240_000,
  relayActiveProbeMs: 2_000,
};

/** Exponential probe interval: activeProbeMs after a reset and the first probe, doubling per probe up to idleProbeMaxMs. */
class ProbeBackoff {
  private probes = 0;
  constructor(private readonly t: PathTimings) {}
  intervalMs(): number {
    return Math.min(this.t.idleProbeMaxMs, this.t.activeProbeMs * 2 ** Math.max(0, this.probes - 1));
  }
  sent(): void {
    if (this.intervalMs() < this.t.idleProbeMaxMs) this.probes++;
  }
  reset(): void {
    this.probes = 0;
  }
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host === b.host && a.port === b.port;
}

export function endpointKey(e: Endpoint): string {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

export class PeerPaths {
  private candidates: Endpoint[] = [];
  private netmapCandidates: Endpoint[] = [];
  private announced: Endpoint[] = [];
  private direct: Endpoint | null = null;
  private lastDirectRx = Number.NEGATIVE_INFINITY;
  private lastRelayRx = Number.NEGATIVE_INFINITY;
  /** lastRelayRx, but forgotten when the relay socket or our network changes: what stands in for an idle relay probe. */
  private relayHeardAt = Number.NEGATIVE_INFINITY;
  private lastTx = Number.NEGATIVE_INFINITY;
  private activeSince = Number.NEGATIVE_INFINITY;
  private lastDirectProbe = Number.NEGATIVE_INFINITY;
  private lastRelayProbe = Number.NEGATIVE_INFINITY;
  private relayOpen = false;
  private readonly directBackoff: ProbeBackoff;
  private readonly relayBackoff: ProbeBackoff;
  private rtt: { direct: number | null; relay: number | null } = { direct: null, relay: null };
  /** Set on the side with the greater public key: while idle on the relay it lets the other side lead the probe rounds. */
  idleFollower = false;
  /** probeNow() was asked for (or nothing was ever probed) and no probe has answered it yet. */
  private probeAsked = true;
  /** How many times traffic moved between paths; shown in status and handy in tests. */
  switches = 0;
  private lastKind: "direct" | "relay" | "race" = "race";

  constructor(private readonly t: PathTimings = DEFAULT_PATH_TIMINGS) {
    this.directBackoff = new ProbeBackoff(t);
    this.relayBackoff = new ProbeBackoff(t);
  }

  /** Candidate UDP endpoints for the peer from the netmap (its own report, STUN, what the platform saw). */
  setCandidates(endpoints: readonly Endpoint[]): void {
    this.netmapCandidates = [...endpoints];
    this.mergeCandidates();
  }

  /**
   * Endpoints the peer announced itself, inside the tunnel (call-me-maybe).
   * They are fresher than the netmap, so they are tried first, and the next
   * tick probes every candidate at once: the peer is probing us right now, and
   * a hole through two NATs opens only when both sides send.
   */
  setAnnounced(endpoints: readonly Endpoint[]): void {
    this.announced = [...endpoints];
    this.mergeCandidates();
    this.probeNow();
  }

  /**
   * Sends direct probes on the next tick instead of waiting for the probe interval. The
   * backoff is left alone: one probe answers the peer's (both sides send at once, which is
   * what opens two NATs), and traffic makes probing fast when it matters.
   */
  probeNow(): void {
    this.lastDirectProbe = Number.NEGATIVE_INFINITY;
    this.probeAsked = true;
  }

  /**
   * Our own network changed (an address came or went): the proven direct
   * endpoint may be dead, and waiting for it to go quiet wastes a second or
   * more. Forget it and race every path again, now.
   */
  networkChanged(): void {
    this.forgetDirect();
    this.relayBackoff.reset();
    this.lastRelayProbe = Number.NEGATIVE_INFINITY;
    this.relayHeardAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * The peer started a new session with us over the relay while we still
   * believed in direct: it restarted, or roamed, and could not reach us on
   * UDP. Our direct endpoint for it is most likely a dead NAT mapping, and
   * traffic sent there would vanish until it went quiet. Forget it, use the
   * proven relay now, and probe to find the new direct path.
   */
  peerReconnectedViaRelay(): void {
    this.forgetDirect();
  }

  private forgetDirect(): void {
    this.direct = null;
    this.lastDirectRx = Number.NEGATIVE_INFINITY;
    this.probeNow();
    this.directBackoff.reset();
  }

  private mergeCandidates(): void {
    const seen = new Set<string>();
    this.candidates = [...this.announced, ...this.netmapCandidates].filter((e) => {
      const k = endpointKey(e);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  setRelayOpen(open: boolean): void {
    // A new socket is proven by probing it soon, not after a backed-off interval.
    if (open && !this.relayOpen) {
      this.relayBackoff.reset();
      this.lastRelayProbe = Number.NEGATIVE_INFINITY;
      this.relayHeardAt = Number.NEGATIVE_INFINITY;
    }
    this.relayOpen = open;
  }

  /** The driver sent a data packet (not a probe or keepalive) for this peer. */
  onSend(now: number): void {
    // Traffic starting after a pause opens a new window: direct is judged on
    // what happens from now on, not on how long the idle period was.
    if (!this.flowing(now)) {
      this.activeSince = now;
      this.directBackoff.reset();
      this.relayBackoff.reset();
    }
    this.lastTx = now;
  }

  /** An authenticated WireGuard packet arrived on `path` (from `from` when direct). */
  onAuthenticated(path: PathKind, from: Endpoint | null, now: number): void {
    if (path === "direct" && from) {
      this.direct = from;
      this.lastDirectRx = now;
    } else if (path === "relay") {
      // While idle, the peer's round counts as ours (see dueProbes), for the backoff too, so
      // the two sides' rounds take turns and their interval grows as one.
      if (!this.flowing(now) && now - this.idleRoundAt() >= this.relayBackoff.intervalMs() / 2)
        this.relayBackoff.sent();
      this.lastRelayRx = now;
      this.relayHeardAt = now;
    }
  }

  /** A probe reply arrived; `sentAt` is when the probe left. */
  onProbeReply(path: PathKind, from: Endpoint | null, sentAt: number, now: number): void {
    this.onAuthenticated(path, from, now);
    const sample = Math.max(0, now - sentAt);
    const prev = this.rtt[path];
    this.rtt[path] = prev === null ? sample : Math.round(prev * 0.75 + sample * 0.25);
  }

  flowing(now: number): boolean {
    return now - this.lastTx <= this.t.trafficWindowMs;
  }

  directAlive(now: number): boolean {
    if (!this.direct) return false;
    if (!this.flowing(now)) return now - this.lastDirectRx <= this.t.directIdleExpiryMs;
    // A new window gives direct directQuietMs to prove itself, but only if it had not already
    // expired while idle: otherwise every send after a pause (a receiver's ACK for a retransmission
    // that came after a long RTO, say) would go to a long-dead endpoint for a second, be lost, and
    // stretch the sender's next RTO, so a stream on the relay could stall for good.
    if (this.activeSince - this.lastDirectRx > this.t.directIdleExpiryMs) return false;
    return now - Math.max(this.lastDirectRx, this.activeSince) <= this.t.directQuietMs;
  }

  relayProven(now: number): boolean {
    if (!this.relayOpen) return false;
    // While traffic flows the relay is judged from when it started (as direct is); idle, a
    // backed-off probe interval must not make a working relay look dead between probes.
    if (this.flowing(now)) return now - Math.max(this.lastRelayRx, this.activeSince) <= this.t.relayQuietMs;
    return now - this.lastRelayRx <= this.t.relayQuietMs + this.relayBackoff.intervalMs();
  }

  choose(now: number): PathChoice {
    let choice: PathChoice;
    if (this.directAlive(now)) choice = { kind: "direct", endpoint: this.direct! };
    else if (this.relayProven(now)) choice = { kind: "relay" };
    else {
      const endpoints = this.direct
        ? [this.direct, ...this.candidates.filter((c) => !sameEndpoint(c, this.direct!))]
        : this.candidates;
      choice = { kind: "race", endpoints, relay: this.relayOpen };
    }
    if (choice.kind !== this.lastKind) {
      if (choice.kind !== "race" && this.lastKind !== "race") this.switches++;
      this.lastKind = choice.kind;
    }
    return choice;
  }

  /** Probes to send now. Probes ride inside the tunnel, so their replies are authenticated. */
  /** When the last idle relay-only round happened, ours or (heard on the relay) the peer's. */
  private idleRoundAt(): number {
    return Math.max(this.lastRelayProbe, this.relayHeardAt);
  }

  dueProbes(now: number): ProbeRequest[] {
    const flowing = this.flowing(now);
    const directAlive = this.directAlive(now);
    if (!flowing && !directAlive && this.relayOpen) return this.idleRelayRound(now);
    const out: ProbeRequest[] = [];
    // A live direct path is probed every idleProbeMs when idle: that keeps its NAT mappings open.
    const directEvery = flowing
      ? this.t.activeProbeMs
      : directAlive
        ? this.t.idleProbeMs
        : this.directBackoff.intervalMs();
    if (now - this.lastDirectProbe >= directEvery) {
      this.lastDirectProbe = now;
      this.probeAsked = false;
      if (!flowing && !directAlive) this.directBackoff.sent();
      // Once a direct endpoint is proven, probe it alone; otherwise try them all
      // (the first to answer wins, which is how the race is decided).
      const targets = directAlive ? [this.direct!] : this.choiceEndpoints();
      for (const endpoint of targets) out.push({ path: "direct", endpoint });
    }
    // The relay carries the traffic (fast probes while it flows) or stands by (backed off).
    const relayFast = flowing && !directAlive;
    const relayEvery = relayFast ? this.t.relayActiveProbeMs : this.relayBackoff.intervalMs();
    const relayLast = relayFast ? this.lastRelayProbe : Math.max(this.lastRelayProbe, this.relayHeardAt);
    if (this.relayOpen && now - relayLast >= relayEvery) {
      this.lastRelayProbe = now;
      if (!relayFast) this.relayBackoff.sent();
      out.push({ path: "relay" });
    }
    return out;
  }

  /**
   * Idle, with the relay as the only path: direct and the relay are probed in one round, on
   * the relay's backoff. A probe is a data packet inside the tunnel, and WireGuard expects an
   * answer to data within 15 s or it starts a new handshake; a direct probe into a dead UDP
   * path gets none, so a relay probe goes with it and its answer serves both. A round from
   * the peer (any packet heard on the relay) stands in for ours.
   */
  private idleRelayRound(now: number): ProbeRequest[] {
    // Both sides would otherwise probe in the same instant (same backoff, same start) and pay
    // twice; the follower waits twice as long, so it probes only when the leader has gone quiet.
    const every = this.relayBackoff.intervalMs() * (this.idleFollower ? 2 : 1);
    const sinceRound = now - this.idleRoundAt();
    if (sinceRound < every) {
      // probeNow() (a call-me-maybe) asks for direct probes at once: the peer is probing us
      // now, and a hole opens only when both sides send. They go on UDP and cost the relay
      // nothing; the relay's answers within this exchange keep WireGuard's timers content.
      if (!this.probeAsked) return [];
      this.probeAsked = false;
      this.lastDirectProbe = now;
      return this.choiceEndpoints().map((endpoint) => ({ path: "direct", endpoint }));
    }
    this.probeAsked = false;
    this.lastDirectProbe = now;
    this.lastRelayProbe = now;
    this.relayBackoff.sent();
    const out: ProbeRequest[] = this.choiceEndpoints().map((endpoint) => ({ path: "direct", endpoint }));
    out.push({ path: "relay" });
    return out;
  }

  /** Current probe intervals (what the tests check the backoff with). */
  probeIntervals(now: number): { directMs: number; relayMs: number } {
    const flowing = this.flowing(now);
    const directAlive = this.directAlive(now);
    return {
      directMs: flowing
        ? this.t.activeProbeMs
        : directAlive
          ? this.t.idleProbeMs
          : this.relayOpen
            ? this.relayBackoff.intervalMs()
            : this.directBackoff.intervalMs(),
      relayMs: flowing && !directAlive ? this.t.relayActiveProbeMs : this.relayBackoff.intervalMs(),
    };
  }

  snapshot(now: number): {
    path: "direct" | "relay" | "none";
    endpoint: string | null;
    rttMs: number | null;
    switches: number;
  } {
    const c = this.choose(now);
    if (c.kind === "direct") {
      return {
        path: "direct",
        endpoint: endpointKey(c.endpoint),
        rttMs: this.rtt.direct,
        switches: this.switches,
      };
    }
    if (c.kind === "relay")
      return { path: "relay", endpoint: null, rttMs: this.rtt.relay, switches: this.switches };
    return { path: "none", endpoint: null, rttMs: null, switches: this.switches };
  }

  private choiceEndpoints(): Endpoint[] {
    if (!this.direct) return this.candidates;
    return [this.direct, ...this.candidates.filter((c) => !sameEndpoint(c, this.direct!))];
  }
}
