/**
 * The agent's side of the network below WireGuard (magicsock's Conn in
 * tailscale's terms): the one UDP socket, STUN, our own direct-path
 * candidates, noticing a network change, and the relay client of every peer.
 * It decides nothing about which path a datagram takes (each PeerEndpoint
 * does); it carries datagrams and reports what it learns: WireGuard datagrams
 * by `onDatagram` and the relay's `onDatagram`, a changed set of our
 * endpoints by `onEndpointsChanged`, a new network by `onNetworkChanged`.
 * See docs/architecture.md, "Where each decision is made".
 */
import { randomBytes } from "node:crypto";
import type { RemoteInfo, Socket } from "node:dgram";
import type { RelayPlacement } from "../../protocol/relay-placement.ts";
import { RelayClient, type RelayState } from "../relay/relay-client.ts";
import { bindUdpSocket } from "../transport/udp-socket.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Endpoint } from "../wireguard/actions.ts";
import { localAddressesKey, localEndpoints, parseEndpoint } from "./local-endpoints.ts";
import { encodeBindingRequest, isStunMessage, parseBindingSuccess } from "./stun.ts";

/**
 * STUN is repeated this often. It refreshes the server-reflexive candidate, and
 * the request itself keeps the NAT mapping of our socket alive: most NATs drop
 * an idle UDP mapping after 30 s or more, some after 25 s.
 */
export const STUN_REFRESH_MS = 20_000;
/** Until a STUN server has answered once, ask again this often (the first request may be lost). */
export const STUN_RETRY_MS = 1_000;
/** How long firstStun() waits for the first answers, so the first heartbeat already carries them. */
export const STUN_FIRST_WAIT_MS = 500;
/** Local addresses are compared this often to notice a network change (a cheap syscall). */
export const NETWORK_CHECK_MS = 1_000;

export interface ConnOptions {
  clock: Clock;
  log: Logger;
  listenPort: number;
  /**
   * Addresses to offer peers instead of this host's interface addresses (e.g. a
   * public address a port is forwarded from, or 127.0.0.1 for agents on one host).
   * The platform-observed and STUN-reflexive candidates are added either way.
   */
  advertiseAddresses?: readonly string[] | undefined;
  /** Enables setUdpBlocked (a test fault switch); never on by default. */
  allowFaultInjection?: boolean | undefined;
  /** A WireGuard datagram (anything but STUN) arrived on the socket. */
  onDatagram(data: Uint8Array, from: Endpoint): void;
  /** Our endpoints differ from the ones last announced (see announceEndpoints). */
  onEndpointsChanged(endpoints: string[]): void;
  /** Our interface addresses changed: every direct path may be dead. */
  onNetworkChanged(): void;
  /** This host's addresses as one comparable string, and its own candidates (tests pass their own). */
  localAddresses?: () => string;
  localEndpoints?: (port: number) => string[];
}

/** What a relay client reports to the PeerEndpoint that asked for it. */
export interface RelayHandlers {
  onDatagram(data: Uint8Array): void;
  onOpen(): void;
  onClosed(): void;
}

export class Conn {
  listenPort = 0;
  readonly counters = {
    udpIn: 0,
    udpOut: 0,
    udpSendErrors: 0,
    udpDroppedFault: 0,
    /** WireGuard datagrams carried on relays (several share one WebSocket message). */
    relayDatagramsIn: 0,
    relayDatagramsOut: 0,
    /** WebSocket messages on relays: what the relay object counts, and is billed for. */
    relayFramesIn: 0,
    relayFramesOut: 0,
    relayPings: 0,
    networkChanges: 0,
  };
  private socket: Socket | null = null;
  private stunServers: readonly string[] = [];
  /** STUN server -> the reflexive endpoint it last reported for our socket. */
  private readonly stunMapped = new Map<string, string>();
  /** Transaction id (hex) -> server, for requests not yet answered. */
  private readonly stunPending = new Map<string, string>();
  private readonly lastStunAt = new Map<string, number>();
  private observedEndpoint: string | null = null;
  private lastNetworkCheckAt = Number.NEGATIVE_INFINITY;
  private addresses = "";
  /** endpoints() as last announced to peers and the platform. */
  private announced = "";
  private udpBlocked = false;
  private readonly relays = new Map<string, RelayClient>();
  private platformUrl = "";
  private credential = "";
  private readonly localAddresses: () => string;
  private readonly ownEndpoints: (port: number) => string[];

  constructor(private readonly opts: ConnOptions) {
    this.localAddresses = opts.localAddresses ?? localAddressesKey;
    this.ownEndpoints = opts.localEndpoints ?? localEndpoints;
  }

  async bind(): Promise<void> {
    const socket = await bindUdpSocket(this.opts.listenPort);
    socket.on("message", (msg, rinfo) => this.onUdp(msg, rinfo));
    socket.on("error", (e) => this.opts.log.warn("udp socket error", { error: e.message }));
    this.socket = socket;
    this.listenPort = socket.address().port;
    this.addresses = this.localAddresses();
    this.announced = this.endpoints().join(",");
  }

  async close(): Promise<void> {
    // A WebSocket close (1000), not a dropped socket: the relay sees this side leave at once.
    const relays = [...this.relays.values()];
    this.relays.clear();
    await Promise.all(relays.map((relay) => relay.close()));
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  // ---------------------------------------------------------------- direct UDP

  sendUdp(e: Endpoint, data: Uint8Array): void {
    if (this.udpBlocked) {
      this.counters.udpDroppedFault++;
      return;
    }
    if (!this.socket) return;
    this.counters.udpOut++;
    this.socket.send(data, e.port, e.host, this.afterUdpSend);
  }

  /** One callback for every send: a closure per datagram was garbage on the hottest path. */
  private readonly afterUdpSend = (err: Error | null): void => {
    if (err) this.counters.udpSendErrors++;
  };

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.udpBlocked) {
      this.counters.udpDroppedFault++;
      return;
    }
    this.counters.udpIn++;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (isStunMessage(data)) this.onStun(data);
    else this.opts.onDatagram(data, { host: rinfo.address, port: rinfo.port });
  }

  /** Test fault switch: drop all direct UDP in both directions, as a firewall would. */
  setUdpBlocked(blocked: boolean): void {
    if (!this.opts.allowFaultInjection) throw new Error("fault injection is disabled");
    this.udpBlocked = blocked;
    this.opts.log.warn("fault injection: direct UDP", { blocked });
  }

  // ---------------------------------------------------------------- our endpoints

  /** Our direct-path candidates, most likely to work first: observed, STUN, then our own addresses. */
  endpoints(): string[] {
    const own = this.opts.advertiseAddresses
      ? this.opts.advertiseAddresses.map((a) => `${a}:${this.listenPort}`)
      : this.ownEndpoints(this.listenPort);
    const observed = this.observedEndpoint ? [this.observedEndpoint] : [];
    return [...new Set([...observed, ...this.stunMapped.values(), ...own])];
  }

  /** The address the platform saw our heartbeat come from, paired with our port (or null). */
  setObservedEndpoint(endpoint: string | null): void {
    this.observedEndpoint = endpoint;
  }

  /**
   * Takes endpoints() as announced; true when they differ from the last
   * announcement (the caller then tells the platform and the peers).
   */
  announceEndpoints(): boolean {
    const now = this.endpoints().join(",");
    if (now === this.announced) return false;
    this.opts.log.debug("our endpoints changed", { from: this.announced, to: now });
    this.announced = now;
    return true;
  }

  /** Per tick: STUN requests that are due, and (once a second) the network check. */
  tick(now: number): void {
    this.maybeStun(now);
    if (now - this.lastNetworkCheckAt < NETWORK_CHECK_MS) return;
    this.lastNetworkCheckAt = now;
    this.checkNetwork(now);
  }

  /**
   * Notices, within a second, that our addresses changed (a new interface, DHCP,
   * a move between networks) or that the endpoints we offer changed (a new
   * STUN mapping, a new observed address), and reports it instead of waiting
   * for paths to time out.
   */
  private checkNetwork(now: number): void {
    const addresses = this.localAddresses();
    if (addresses !== this.addresses) {
      this.opts.log.info("network changed", { from: this.addresses, to: addresses });
      this.addresses = addresses;
      this.counters.networkChanges++;
      // Old mappings belong to the old network; ask STUN again right away.
      this.stunMapped.clear();
      this.lastStunAt.clear();
      this.observedEndpoint = null;
      // A relay's TCP connection may be bound to an address that is gone.
      for (const relay of this.relays.values()) relay.reconnectNow();
      this.opts.onNetworkChanged();
      this.maybeStun(now);
    }
    if (this.announceEndpoints()) this.opts.onEndpointsChanged(this.endpoints());
  }

  // ---------------------------------------------------------------- STUN

  setStunServers(servers: readonly string[]): void {
    // Mappings reported by servers no longer configured are not ours to offer.
    for (const server of [...this.stunMapped.keys()])
      if (!servers.includes(server)) this.stunMapped.delete(server);
    this.lastStunAt.clear();
    this.stunServers = [...servers];
  }

  /** Asks each STUN server whose answer is due: every 20 s, or every second until it first answers. */
  private maybeStun(now: number): void {
    for (const server of this.stunServers) {
      const every = this.stunMapped.has(server) ? STUN_REFRESH_MS : STUN_RETRY_MS;
      if (now - (this.lastStunAt.get(server) ?? Number.NEGATIVE_INFINITY) < every) continue;
      const ep = parseEndpoint(server);
      if (!ep) continue; // names are resolved by the OS only in a later version; IPs work now
      this.lastStunAt.set(server, now);
      for (const [tid, s] of this.stunPending) if (s === server) this.stunPending.delete(tid);
      const tid = randomBytes(12);
      this.stunPending.set(tid.toString("hex"), server);
      this.sendUdp(ep, encodeBindingRequest(tid));
    }
  }

  /** The first STUN round, awaited briefly so the first heartbeat already offers the reflexive candidate. */
  async firstStun(): Promise<void> {
    if (this.stunServers.length === 0) return;
    const clock = this.opts.clock;
    this.maybeStun(clock.now());
    const deadline = clock.now() + STUN_FIRST_WAIT_MS;
    while (this.stunPending.size > 0 && clock.now() < deadline)
      await new Promise<void>((r) => clock.schedule(10, r));
  }

  private onStun(data: Uint8Array): void {
    const tidHex = Buffer.from(data.subarray(8, 20)).toString("hex");
    const server = this.stunPending.get(tidHex);
    if (server === undefined) return;
    this.stunPending.delete(tidHex);
    const mapped = parseBindingSuccess(data, data.subarray(8, 20));
    if (mapped) this.stunMapped.set(server, `${mapped.host}:${mapped.port}`);
  }

  // ---------------------------------------------------------------- relays

  /** Where relays connect and the credential they present; the next openRelay uses them. */
  setPlatform(platformUrl: string, credential: string): void {
    this.platformUrl = platformUrl;
    this.credential = credential;
  }

  /** Opens (or reopens) the relay to `peer`. */
  openRelay(peer: string, handlers: RelayHandlers): void {
    this.closeRelay(peer);
    const relay = new RelayClient({
      platformUrl: this.platformUrl,
      peer,
      credential: this.credential,
      totals: this.counters,
      onDatagram: (d) => {
        this.counters.relayDatagramsIn++;
        handlers.onDatagram(d);
      },
    });
    relay.on("open", () => {
      this.opts.log.debug("relay open", { peer });
      handlers.onOpen();
    });
    relay.on("close", (code) => {
      this.opts.log.debug("relay closed", { peer, code });
      handlers.onClosed();
    });
    relay.on("refused", (status, message) => {
      this.opts.log.warn("relay refused", { peer, status, message });
      handlers.onClosed();
    });
    relay.on("error", (e) => this.opts.log.debug("relay error", { peer, error: e.message }));
    this.relays.set(peer, relay);
    relay.start();
  }

  closeRelay(peer: string): void {
    this.relays.get(peer)?.stop();
    this.relays.delete(peer);
  }

  /** Sends on the peer's relay; false when there is none or it dropped the datagram. */
  sendRelay(peer: string, data: Uint8Array): boolean {
    const sent = this.relays.get(peer)?.send(data) ?? false;
    if (sent) this.counters.relayDatagramsOut++;
    return sent;
  }

  relayState(peer: string): RelayState | "off" {
    return this.relays.get(peer)?.state ?? "off";
  }

  /** Reconnect attempts the peer's relay made after its socket closed (deploys, resets). */
  relayReconnects(peer: string): number {
    return this.relays.get(peer)?.reconnects ?? 0;
  }

  /** Where the peer's relay object was placed, as the relay's hello said. */
  relayPlacement(peer: string): RelayPlacement | null {
    return this.relays.get(peer)?.placement ?? null;
  }

  /** Test hook: drop the relay sockets so they reconnect (as after a deploy). */
  reconnectRelays(): void {
    for (const relay of this.relays.values()) relay.reconnectNow();
  }
}
