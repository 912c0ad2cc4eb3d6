/**
 * One peer as the path layer sees it (magicsock's endpoint in tailscale's
 * terms): which path each WireGuard datagram to it takes, the probes that
 * prove paths, the glare wait before our first handshake, when persistent
 * keepalive is armed, call-me-maybe (hole punching) and the resend of a
 * handshake initiation on a relay that opened late. This is the one place
 * that reads `relayMode`. Time comes from the clock; the decisions about
 * direct versus relay are PeerPaths' (path-manager.ts).
 * See docs/architecture.md, "Where each decision is made".
 */
import type { RelayMode } from "../settings/agent-settings.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Endpoint } from "../wireguard/actions.ts";
import { buildCallMeMaybe, parseCallMeMaybe } from "./call-me-maybe.ts";
import { mayUseCandidate, usableCandidates } from "./candidates.ts";
import type { RelayHandlers } from "./conn.ts";
import { parseEndpoint } from "./local-endpoints.ts";
import { PeerPaths, type ProbeRequest } from "./path-manager.ts";
import { buildProbePacket, type Probe, parseProbePacket } from "./probe.ts";

/**
 * Stands for "the relay" wherever the WireGuard core wants an endpoint. Never
 * a real address. The core emits sends only for a peer that has an endpoint,
 * and it roams a peer to whatever `from` an authenticated datagram carried, so
 * a relay arrival needs some `from`. Every send is routed here, never to the
 * core's endpoint, so the marker only has to be recognisable: a reply the core
 * addresses to it goes back on the relay. Removing it needs a core that accepts
 * a path handle instead of an address (agent/wireguard is out of this layer's
 * reach).
 */
export const RELAY_ENDPOINT: Endpoint = { host: "relay.tether.invalid", port: 0 };
export const isRelayEndpoint = (e: Endpoint): boolean => e.host === RELAY_ENDPOINT.host;

/** Where a datagram came in: on the socket from an address, or on a peer's relay. */
export type Arrival = { path: "direct"; from: Endpoint } | { path: "relay"; peer: string };

/**
 * What travels with a datagram through the engine: the arrival it answers
 * (replies go back the same way, so each path proves itself), or the path a
 * probe is pinned to.
 */
export type PathVia = { arrival: Arrival } | { pinned: ProbeRequest };

/**
 * Two agents that learn of each other at the same moment would both start a
 * handshake at once. WireGuard keeps one handshake per peer, so each side's
 * answer to the other wipes its own attempt, and neither ends up with a session
 * it may send on until the 5 s retry. So the side with the greater public key
 * waits this long before its first handshake, unless the peer already tried to
 * reach us (then it is waiting for us). Real traffic is never held back.
 */
export const GLARE_WAIT_MS = 1_000;
/** At most one call-me-maybe reply per peer in this window, so two agents never ping-pong them. */
export const CALL_ME_MAYBE_REPLY_MS = 1_000;
/** An idle pair's rekey repeats the call-me-maybe at most this often when nothing changed. */
const CALL_ME_MAYBE_REFRESH_MS = 600_000;
/** WireGuard's REKEY_TIMEOUT: an initiation older than this has been superseded by a retry. */
const INITIATION_FRESH_MS = 5_000;
const MESSAGE_INITIATION = 1;
/** WireGuard's KEEPALIVE_TIMEOUT: data received asks for an answer within this long. */
const RELAY_KEEPALIVE_MS = 10_000;

function isInitiation(datagram: Uint8Array): boolean {
  return datagram.length > 0 && datagram[0] === MESSAGE_INITIATION;
}

/** The wire below the endpoint (Conn in the agent). */
export interface PathTransport {
  sendUdp(e: Endpoint, data: Uint8Array): void;
  sendRelay(peer: string, data: Uint8Array): boolean;
  openRelay(peer: string, handlers: RelayHandlers): void;
  closeRelay(peer: string): void;
  relayState(peer: string): "connecting" | "open" | "closed" | "off";
  /** Our current direct candidates, "host:port". */
  endpoints(): string[];
}

/** The WireGuard side (the engine in the agent). */
export interface PeerCore {
  /** Encrypts one inner packet of ours to the peer; its datagrams come back through transmit(). */
  sendInside(peer: string, packet: Uint8Array, via: PathVia | null): void;
  session(peer: string): { hasSession: boolean; lastHandshakeAt: number | null };
  setPersistentKeepalive(peer: string, seconds: number): void;
  /** A datagram that came in on the peer's relay. */
  relayInput(peer: string, data: Uint8Array): void;
}

export interface EndpointCounters {
  probesSent: number;
  probeReplies: number;
  callMeMaybeSent: number;
  callMeMaybeReceived: number;
  initiationsResentOnRelay: number;
}

export interface PeerEndpointOptions {
  name: string;
  /** Mesh addresses, ours and the peer's: probes and call-me-maybe are addressed inside the tunnel. */
  selfIp: number;
  peerIp: number;
  /** True when we should hold our first handshake back (see GLARE_WAIT_MS and glareWaitApplies). */
  glareWait: boolean;
  /** Ours is the greater public key: while idle on the relay the peer leads the probe rounds. */
  idleFollower?: boolean;
  clock: Clock;
  log: Logger;
  transport: PathTransport;
  core: PeerCore;
  settings(): { relayMode: RelayMode; persistentKeepaliveSeconds: number };
  counters: EndpointCounters;
  onPathChanged(path: "direct" | "relay" | "none"): void;
  paths?: PeerPaths;
}

/** Whether we wait GLARE_WAIT_MS before our first handshake: ours is the greater key and the peer has not tried us. */
export function glareWaitApplies(
  ourPublicKey: string,
  theirPublicKey: string,
  peerTriedUs: boolean,
): boolean {
  return !peerTriedUs && ourPublicKey > theirPublicKey;
}

export class PeerEndpoint {
  readonly name: string;
  readonly paths: PeerPaths;
  private probeSeq = 0;
  /** Until then, with no session yet, we leave the first handshake to the peer. */
  private readonly passiveUntil: number;
  /**
   * Persistent keepalive is switched on only after the passive wait: the core sends a
   * keepalive (and so a handshake) as soon as a peer with keepalive is added, which
   * would defeat the wait.
   */
  private keepaliveArmed = false;
  /** The persistent keepalive the core has now (seconds); see keepaliveFor. */
  private keepaliveApplied = 0;
  private lastCallMeMaybeAt = Number.NEGATIVE_INFINITY;
  /** Our endpoints as the last call-me-maybe told them. */
  private announcedEndpoints: string | null = null;
  /** Our latest handshake initiation to this peer and when it left (see resendInitiationOnRelay). */
  private lastInitiation: Uint8Array | null = null;
  private lastInitiationAt = Number.NEGATIVE_INFINITY;
  private lastPath: "direct" | "relay" | "none" | null = null;
  /** Data last arrived on the relay / we last sent anything on it (see answerOnRelay). */
  private relayDataInAt = Number.NEGATIVE_INFINITY;
  private relaySentAt = Number.NEGATIVE_INFINITY;
  private readonly o: PeerEndpointOptions;

  constructor(o: PeerEndpointOptions) {
    this.o = o;
    this.name = o.name;
    this.paths = o.paths ?? new PeerPaths();
    this.paths.idleFollower = o.idleFollower ?? false;
    this.passiveUntil = o.glareWait ? o.clock.now() + GLARE_WAIT_MS : 0;
  }

  get peerIp(): number {
    return this.o.peerIp;
  }

  /** Netmap candidates for the peer's direct path. */
  setCandidates(endpoints: readonly string[]): void {
    this.paths.setCandidates(usableCandidates(endpoints, this.o.transport.endpoints()));
  }

  stop(): void {
    this.o.transport.closeRelay(this.name);
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends one datagram the core produced for this peer:
   * - pinned by a probe: on that path (but an initiation the probe triggered races, see below);
   * - otherwise by path choice: relay only under relayMode "always", else the
   *   proven direct endpoint, the relay, or every candidate at once (the race).
   */
  transmit(data: Uint8Array, via: PathVia | null): void {
    const now = this.o.clock.now();
    // A probe pins its packet to one path, but a handshake initiation it triggers (no
    // session yet) must race on every path: pinned to a direct candidate behind a NAT that
    // drops it, every 5 s retry was lost the same way and the relay never carried one.
    if (via && "pinned" in via && !isInitiation(data)) {
      this.sendOn(via.pinned, data);
      return;
    }
    if (isInitiation(data)) {
      this.lastInitiation = data;
      this.lastInitiationAt = now;
    }
    if (this.o.settings().relayMode === "always") {
      this.sendRelay(data);
      return;
    }
    const choice = this.paths.choose(now);
    this.notePath(choice.kind === "race" ? "none" : choice.kind);
    if (choice.kind === "direct") this.o.transport.sendUdp(choice.endpoint, data);
    else if (choice.kind === "relay") this.sendRelay(data);
    else {
      for (const e of choice.endpoints) this.o.transport.sendUdp(e, data);
      if (choice.relay) this.sendRelay(data);
    }
  }

  private sendOn(path: ProbeRequest, data: Uint8Array): void {
    if (path.path === "relay") this.sendRelay(data);
    else this.o.transport.sendUdp(path.endpoint, data);
  }

  private sendRelay(data: Uint8Array): void {
    this.relaySentAt = this.o.clock.now();
    this.o.transport.sendRelay(this.name, data);
  }

  /**
   * WireGuard answers data with a keepalive within 10 s unless it sent something meanwhile,
   * but "something" may have been a direct probe into a dead UDP path, which the peer never
   * sees; 5 s later the peer would start a new handshake, and so on every 15 s while idle.
   * So data that came in on the relay gets an answer on the relay: a keepalive (an empty
   * packet) when nothing else went out there within 10 s.
   */
  private answerOnRelay(now: number): void {
    if (this.relayDataInAt <= this.relaySentAt || now - this.relayDataInAt < RELAY_KEEPALIVE_MS) return;
    if (this.o.transport.relayState(this.name) !== "open") return;
    this.relaySentAt = now;
    this.o.core.sendInside(this.name, new Uint8Array(0), { pinned: { path: "relay" } });
  }

  // ---------------------------------------------------------------- what arrived

  /** An authenticated packet from the peer arrived this way: that path works. */
  authenticated(arrival: Arrival): void {
    const now = this.o.clock.now();
    if (arrival.path === "relay") this.relayDataInAt = now;
    this.paths.onAuthenticated(arrival.path, arrival.path === "direct" ? arrival.from : null, now);
  }

  handshakeComplete(role: "initiator" | "responder", arrival: Arrival | null): void {
    if (arrival) this.authenticated(arrival);
    if (role === "responder" && arrival?.path === "relay") this.paths.peerReconnectedViaRelay();
    // A fresh session: tell the peer where we are now and start probing (hole punching).
    // Not on an idle pair's routine rekey when nothing changed: the peer heard it lately.
    const now = this.o.clock.now();
    const news =
      this.paths.flowing(now) ||
      this.announcedEndpoints !== this.o.transport.endpoints().join(",") ||
      now - this.lastCallMeMaybeAt >= CALL_ME_MAYBE_REFRESH_MS;
    if (news) this.callMeMaybe();
  }

  /** A path probe addressed to us: answer a ping on the path it came in on, learn from a pong. */
  onProbe(probe: Probe, arrival: Arrival): void {
    const now = this.o.clock.now();
    if (probe.kind === "ping") {
      const pong = buildProbePacket({ ...probe, kind: "pong", src: this.o.selfIp, dst: probe.src });
      const path: ProbeRequest =
        arrival.path === "relay" ? { path: "relay" } : { path: "direct", endpoint: arrival.from };
      this.o.core.sendInside(this.name, pong, { pinned: path });
      return;
    }
    this.o.counters.probeReplies++;
    // sentAt travels as 32 bits of our own clock; unwrap it against now.
    const sentAt = now - (((now >>> 0) - probe.sentAt) >>> 0);
    this.paths.onProbeReply(arrival.path, arrival.path === "direct" ? arrival.from : null, sentAt, now);
  }

  onCallMeMaybe(endpoints: Endpoint[]): void {
    const now = this.o.clock.now();
    this.o.counters.callMeMaybeReceived++;
    this.o.log.debug("peer announced endpoints", {
      peer: this.name,
      endpoints: endpoints.map((e) => `${e.host}:${e.port}`),
    });
    const ours = this.o.transport.endpoints();
    this.paths.setAnnounced(endpoints.filter((e) => mayUseCandidate(e, ours)));
    // Answer once, so the peer probes us while we probe it (that is what opens both NATs).
    if (now - this.lastCallMeMaybeAt >= CALL_ME_MAYBE_REPLY_MS) this.callMeMaybe();
  }

  // ---------------------------------------------------------------- hole punching

  /**
   * Tells the peer our current endpoints inside the tunnel, over the relay when
   * it is open (it is the path that works before any hole is punched) and on
   * the direct path we use, and starts probing the peer's endpoints ourselves
   * at the same moment.
   */
  callMeMaybe(): void {
    if (this.o.settings().relayMode === "always") return;
    const now = this.o.clock.now();
    this.lastCallMeMaybeAt = now;
    this.paths.probeNow();
    const eps = this.o.transport
      .endpoints()
      .map(parseEndpoint)
      .filter((e): e is Endpoint => e !== null);
    this.announcedEndpoints = this.o.transport.endpoints().join(",");
    const packet = buildCallMeMaybe(this.o.selfIp, this.o.peerIp, eps);
    this.o.counters.callMeMaybeSent++;
    const relayOpen = this.o.transport.relayState(this.name) === "open";
    if (relayOpen) this.o.core.sendInside(this.name, packet, { pinned: { path: "relay" } });
    if (this.paths.snapshot(now).path === "direct" || !relayOpen)
      this.o.core.sendInside(this.name, packet, null);
  }

  /** Our network changed: the direct path may be dead; race again now. */
  networkChanged(): void {
    this.paths.networkChanged();
  }

  // ---------------------------------------------------------------- relay

  /** (Re)opens the relay, or leaves it closed under relayMode "never". */
  restartRelay(): void {
    this.o.transport.closeRelay(this.name);
    this.paths.setRelayOpen(false);
    if (this.o.settings().relayMode === "never") return;
    this.o.transport.openRelay(this.name, {
      onDatagram: (d) => this.o.core.relayInput(this.name, d),
      onOpen: () => {
        this.paths.setRelayOpen(true);
        this.resendInitiationOnRelay();
      },
      onClosed: () => this.paths.setRelayOpen(false),
    });
  }

  /**
   * The relay opens a moment after we learn of a peer, usually after our first
   * handshake initiation went out on UDP only. Behind a NAT that UDP cannot
   * cross (symmetric NAT, UDP blocked) that initiation is lost, and WireGuard
   * would retry only after REKEY_TIMEOUT (5 s). So the same initiation is sent
   * again on the relay as soon as it opens: the same bytes, not a new
   * handshake, so the responder sees at most a duplicate it ignores.
   */
  private resendInitiationOnRelay(): void {
    const init = this.lastInitiation;
    if (init === null || this.o.clock.now() - this.lastInitiationAt >= INITIATION_FRESH_MS) return;
    if (this.o.core.session(this.name).hasSession || this.o.settings().relayMode === "never") return;
    this.o.counters.initiationsResentOnRelay++;
    this.sendRelay(init);
  }

  // ---------------------------------------------------------------- timers

  /** Per tick: arm keepalive once the glare wait is over, send the probes that are due. */
  tick(now: number): void {
    const settings = this.o.settings();
    const holdBack = now < this.passiveUntil && this.o.core.session(this.name).lastHandshakeAt === null;
    if (!holdBack && !this.keepaliveArmed) this.keepaliveArmed = true;
    if (this.keepaliveArmed) this.applyKeepalive(now);
    if (!holdBack) this.answerOnRelay(now);
    for (const probe of holdBack ? [] : this.paths.dueProbes(now)) {
      if (probe.path === "direct" && settings.relayMode === "always") continue;
      if (probe.path === "relay" && this.o.transport.relayState(this.name) === "off") continue;
      const packet = buildProbePacket({
        kind: "ping",
        path: probe.path,
        seq: this.probeSeq++,
        sentAt: now >>> 0,
        src: this.o.selfIp,
        dst: this.o.peerIp,
      });
      this.o.counters.probesSent++;
      this.o.core.sendInside(this.name, packet, { pinned: probe });
    }
    this.notePath(this.paths.snapshot(now).path);
  }

  /**
   * Agent values changed (settings() already returns the new ones): a new
   * keepalive interval applies now if keepalive is armed, and a new relayMode
   * reopens the relay or leaves it closed.
   */
  settingsChanged(prev: { relayMode: RelayMode; persistentKeepaliveSeconds: number }): void {
    const next = this.o.settings();
    if (prev.relayMode !== next.relayMode) this.restartRelay();
    if (this.keepaliveArmed) this.applyKeepalive(this.o.clock.now());
  }

  /**
   * Persistent keepalive exists to hold UDP NAT mappings open. On the relay it
   * holds nothing open (the WebSocket has its own ping, answered without waking
   * the relay object) and only costs the object a message per side every
   * interval, so it is off while the relay is the path and back on as soon as
   * direct is, or while paths are raced.
   */
  private keepaliveFor(now: number): number {
    const settings = this.o.settings();
    const onRelay = settings.relayMode === "always" || this.paths.snapshot(now).path === "relay";
    return onRelay ? 0 : settings.persistentKeepaliveSeconds;
  }

  private applyKeepalive(now: number): void {
    const want = this.keepaliveFor(now);
    if (want === this.keepaliveApplied) return;
    this.keepaliveApplied = want;
    this.o.core.setPersistentKeepalive(this.name, want);
  }

  private notePath(path: "direct" | "relay" | "none"): void {
    if (this.lastPath === path) return;
    this.lastPath = path;
    this.o.onPathChanged(path);
  }
}

/**
 * Something the core sends because a datagram just arrived: it goes back on
 * the path it came in on, so each path proves itself independently (handshake
 * responses, cookie replies, probe replies). Also for datagrams the core
 * addresses to no known peer (a cookie reply), which no PeerEndpoint owns.
 */
export function replyOnArrival(
  transport: PathTransport,
  peer: string,
  endpoint: Endpoint,
  data: Uint8Array,
  arrival: Arrival,
): void {
  if (arrival.path === "relay") transport.sendRelay(arrival.peer, data);
  else if (isRelayEndpoint(endpoint)) transport.sendRelay(peer, data);
  else transport.sendUdp(arrival.from, data);
}

/**
 * Sees a decrypted packet from a peer before the IP stack does: the arrival
 * proves its path, and path probes and call-me-maybe addressed to us are
 * consumed here (true); everything else is the stack's (false). `endpoint` is
 * undefined for a peer that is not (or no longer) in the netmap.
 */
export function receivePathControl(
  endpoint: PeerEndpoint | undefined,
  selfIp: number,
  packet: Uint8Array,
  via: PathVia | null,
): boolean {
  const arrival = via && "arrival" in via ? via.arrival : null;
  if (arrival) endpoint?.authenticated(arrival);
  const probe = parseProbePacket(packet);
  if (probe && probe.dst === selfIp) {
    if (arrival) endpoint?.onProbe(probe, arrival);
    return true;
  }
  const cmm = parseCallMeMaybe(packet);
  if (!cmm || cmm.dst !== selfIp) return false;
  endpoint?.onCallMeMaybe(cmm.endpoints);
  return true;
}
