/**
 * The running agent: glue only. The control client talks to the platform,
 * Conn owns the socket and the relays, one PeerEndpoint per peer decides
 * paths, and the engine runs WireGuard and the IP stack. This class wires
 * their events together, applies the netmap and agent values, and answers the
 * status socket. See docs/architecture.md.
 */
import { EventEmitter } from "node:events";
import type { ValuesReport } from "../../protocol/api.ts";
import { ControlClient } from "../control/control-client.ts";
import type { AgentState } from "../control/state-file.ts";
import { fileStateStore, type StateStore } from "../control/state-store.ts";
import { Engine } from "../engine/engine.ts";
import type { Cidr } from "../net/ipv4.ts";
import { ipFromString } from "../net/ipv4.ts";
import type { Udp } from "../net/udp.ts";
import { Conn } from "../paths/conn.ts";
import {
  type EndpointCounters,
  type PathVia,
  receivePathControl,
  replyOnArrival,
} from "../paths/peer-endpoint.ts";
import { type AgentSettings, DEFAULT_SETTINGS, parseSettings } from "../settings/agent-settings.ts";
import type { ForwardInfo, ForwardSpec } from "../tunnel/forward.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { createLogger, type Logger } from "../util/logger.ts";
import { keyFromBase64, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import type { AgentHealth, AgentStatus } from "./agent-status.ts";
import { LocalServices } from "./local-services.ts";
import { PeerTable } from "./peer-table.ts";
import { type PingReport, type PingRequest, ping } from "./ping.ts";

export type { AgentHealth, AgentPeerStatus, AgentStatus } from "./agent-status.ts";

export const AGENT_VERSION = "0.1.0";

export interface AgentOptions {
  platform: string;
  cluster: string;
  /** The status socket lives here, and the identity unless `stateStore` says otherwise. */
  stateDir: string;
  stateStore?: StateStore;
  /** Needed only the first time (or after the credential was revoked). */
  psk?: string | undefined;
  listenPort?: number;
  clusterUid?: string | undefined;
  heartbeatMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Addresses to offer peers instead of this host's interface addresses (see ConnOptions). */
  advertiseAddresses?: readonly string[] | undefined;
  /** "host:port" for a SOCKS5 proxy into the mesh (`--socks5`); none when omitted. */
  socks5?: string | undefined;
  /** Where agent values may open forward listeners besides loopback (`--allow-forward-listen`). */
  allowForwardListen?: readonly Cidr[] | undefined;
  /** Enables `setUdpBlocked` (a test fault switch); never on by default. */
  allowFaultInjection?: boolean;
}

export interface AgentEvents {
  "peer-added": [cluster: string];
  "peer-removed": [cluster: string];
  "path-changed": [cluster: string, path: "direct" | "relay" | "none"];
  "handshake-complete": [cluster: string];
  "settings-applied": [settings: AgentSettings];
  fatal: [error: Error];
}

export class Agent extends EventEmitter<AgentEvents> {
  readonly log: Logger;
  settings: AgentSettings;
  private readonly baseSettings: AgentSettings;
  private readonly clock: Clock;
  private readonly control: ControlClient;
  private readonly conn: Conn;
  private engine: Engine<PathVia> | null = null;
  private services: LocalServices | null = null;
  private peers: PeerTable | null = null;
  private readonly endpointCounters: EndpointCounters = {
    probesSent: 0,
    probeReplies: 0,
    callMeMaybeSent: 0,
    callMeMaybeReceived: 0,
    initiationsResentOnRelay: 0,
  };
  private selfIp = 0;
  private publicKey = "";
  private lastUnknownPeerAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** What the agent did with its last values; sent with every heartbeat once there is one. */
  private valuesReport: ValuesReport | null = null;

  constructor(private readonly opts: AgentOptions) {
    super();
    this.log = opts.logger ?? createLogger("info");
    this.clock = opts.clock ?? systemClock;
    // The level given on the command line holds unless agent values set one; values are
    // always read against this base, so a field removed from them goes back to its default.
    this.baseSettings = { ...DEFAULT_SETTINGS, logLevel: this.log.level };
    this.settings = this.baseSettings;
    this.control = new ControlClient({
      platform: opts.platform,
      cluster: opts.cluster,
      psk: opts.psk,
      clusterUid: opts.clusterUid,
      store: opts.stateStore ?? fileStateStore(opts.stateDir),
      clock: this.clock,
      log: this.log,
      heartbeatMs: opts.heartbeatMs,
      version: AGENT_VERSION,
      status: () => ({
        endpoints: this.conn.endpoints(),
        peers: this.peers?.statuses() ?? [],
        listenPort: this.listenPort,
        ...(this.valuesReport === null ? {} : { values: this.valuesReport }),
      }),
    });
    this.control.on("netmap", (nm) => this.peers?.apply(nm.peers));
    this.control.on("values", (yaml, version) => this.applyValues(yaml, version));
    this.control.on("observed-endpoint", (e) => this.conn.setObservedEndpoint(e));
    this.control.on("reregistered", (state) => {
      this.conn.setPlatform(state.platform, state.credential);
      for (const e of this.peers?.endpoints() ?? []) e.restartRelay();
    });
    this.control.on("fatal", (e) => this.emit("fatal", e));
    this.conn = new Conn({
      clock: this.clock,
      log: this.log,
      listenPort: opts.listenPort ?? 0,
      advertiseAddresses: opts.advertiseAddresses,
      allowFaultInjection: opts.allowFaultInjection,
      onDatagram: (data, from) => this.engine?.input(data, from, { arrival: { path: "direct", from } }),
      onEndpointsChanged: () => {
        for (const e of this.peers?.endpoints() ?? []) e.callMeMaybe();
        this.control.heartbeatSoon();
      },
      onNetworkChanged: () => {
        for (const e of this.peers?.endpoints() ?? []) e.networkChanged();
      },
    });
  }

  get state(): AgentState {
    return this.control.state;
  }
  get listenPort(): number {
    return this.conn.listenPort;
  }
  get udp(): Udp {
    return this.running().udp;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const state = await this.control.start();
    this.conn.setPlatform(state.platform, state.credential);
    const privateKey = keyFromBase64(state.privateKey);
    this.publicKey = keyToBase64(publicKeyFrom(privateKey));
    this.selfIp = ipFromString(state.meshIp);
    const engine = new Engine<PathVia>({
      privateKey,
      address: this.selfIp,
      mtu: this.settings.mtu,
      clock: this.clock,
      log: this.log,
      transmit: (a, via) => {
        if (via && "arrival" in via) replyOnArrival(this.conn, a.peer, a.endpoint, a.data, via.arrival);
        else this.peers?.endpoint(a.peer)?.transmit(a.data, via);
      },
      intercept: (peer, packet, via) =>
        receivePathControl(this.peers?.endpoint(peer), this.selfIp, packet, via),
      onEvent: (a, via, now) => {
        const arrival = via && "arrival" in via ? via.arrival : null;
        if (a.type === "handshake-complete") {
          this.peers?.endpoint(a.peer)?.handshakeComplete(a.role, arrival);
          this.log.debug("handshake complete", { peer: a.peer, role: a.role });
          this.emit("handshake-complete", a.peer);
        } else if (a.type === "drop" && a.reason === "unknown-peer") {
          this.lastUnknownPeerAt = now;
          this.control.syncNetmapSoon();
        }
        // endpoint-changed needs nothing: every authenticated arrival already reaches the
        // peer's PeerEndpoint (intercept, handshakeComplete), which is where the direct path
        // is learnt; the core's own endpoint is never used to route.
      },
      onStackSend: (peer, now) => this.peers?.endpoint(peer)?.paths.onSend(now),
      onTick: (now) => {
        for (const e of this.peers?.endpoints() ?? []) e.tick(now);
        this.conn.tick(now);
      },
    });
    this.engine = engine;
    this.peers = new PeerTable({
      engine,
      conn: this.conn,
      clock: this.clock,
      log: this.log,
      selfIp: this.selfIp,
      publicKey: this.publicKey,
      counters: this.endpointCounters,
      settings: () => this.settings,
      lastUnknownPeerAt: () => this.lastUnknownPeerAt,
      onAdded: (peer) => this.emit("peer-added", peer),
      onRemoved: (peer) => this.emit("peer-removed", peer),
      onPathChanged: (peer, path) => {
        this.log.info("path changed", { peer, path });
        this.emit("path-changed", peer, path);
      },
    });
    this.services = new LocalServices(
      engine,
      (target) => this.peerIpOf(target),
      this.log,
      this.opts.allowForwardListen,
    );
    if (this.opts.socks5) await this.services.startSocks5(this.opts.socks5);
    await this.conn.bind();
    engine.start();
    await this.control.heartbeat();
    // STUN servers come with the agent values (known only after the first heartbeat).
    // Ask them now and send a second heartbeat if that found a candidate, so the
    // netmap has it before we report the agent up.
    await this.conn.firstStun();
    if (this.conn.announceEndpoints()) await this.control.heartbeat();
    this.control.run();
    this.log.info("agent up", {
      cluster: state.cluster,
      meshIp: state.meshIp,
      listenPort: this.listenPort,
      publicKey: this.publicKey,
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.control.stop();
    this.engine?.stop();
    await this.services?.stop();
    // Relays first, with a WebSocket close each (Conn.close); clearing the peers would drop them.
    await this.conn.close();
    this.peers?.clear();
  }

  health(): AgentHealth {
    return {
      lastTickAt: this.engine?.lastTickAt ?? this.clock.now(),
      registered: this.engine !== null,
      // An open control channel is the platform answering: its pings are checked by the channel
      // itself, which drops a socket that stops answering.
      lastControlOkAt: this.control.channelConnected ? this.clock.now() : this.control.lastOkAt,
    };
  }

  /** What this agent counted (datagrams, relay, probes, hole punching, core errors), for status and benches. */
  get counters(): Conn["counters"] & EndpointCounters & { coreErrors: number } {
    return { ...this.conn.counters, coreErrors: this.engine?.coreErrors ?? 0, ...this.endpointCounters };
  }

  private running(): Engine<PathVia> {
    if (!this.engine) throw new Error("agent not started");
    return this.engine;
  }

  // ---------------------------------------------------------------- agent values

  private applyValues(yaml: string, version: string): void {
    const { settings, applied, problems } = parseSettings(yaml, this.baseSettings);
    for (const p of problems) {
      this.log.warn("agent values: ignored a field", { path: p.path, problem: p.message });
    }
    this.applySettings(settings);
    // The platform hears it with the next heartbeat; ask for that one now rather than in 5 s.
    // Within ValuesReport's bounds: a heartbeat the platform refuses would report nothing at all.
    this.valuesReport = {
      applied: applied.slice(0, 512).map((p) => p.slice(0, 256)),
      rejected: problems
        .slice(0, 512)
        .map((p) => ({ path: p.path.slice(0, 256), message: p.message.slice(0, 512) })),
      revision: version.slice(0, 128),
    };
    this.control.heartbeatSoon();
  }

  applySettings(next: AgentSettings): void {
    const prev = this.settings;
    this.settings = next;
    this.log.level = next.logLevel;
    for (const e of this.peers?.endpoints() ?? []) e.settingsChanged(prev);
    if (prev.mtu !== next.mtu) this.engine?.setMtu(next.mtu);
    if (prev.stunServers.join() !== next.stunServers.join()) this.conn.setStunServers(next.stunServers);
    this.services?.apply(next);
    this.log.info("agent values applied", {
      logLevel: next.logLevel,
      relay: next.relayMode,
      keepalive: next.persistentKeepaliveSeconds,
      mtu: next.mtu,
      expose: next.expose.length,
      forward: next.forward.length,
    });
    this.emit("settings-applied", next);
  }

  // ---------------------------------------------------------------- status and local commands

  status(): AgentStatus {
    const engine = this.running();
    const services = this.services!;
    const drops: Record<string, number> = {};
    for (const [k, v] of engine.device.drops) drops[k] = v;
    const lastHeartbeatAt = this.control.lastHeartbeatAt;
    return {
      cluster: this.state.cluster,
      platform: this.state.platform,
      version: AGENT_VERSION,
      meshIp: this.state.meshIp,
      publicKey: this.publicKey,
      listenPort: this.listenPort,
      endpoints: this.conn.endpoints(),
      platformReachable: this.control.platformReachable,
      controlChannel: this.control.channelConnected,
      lastHeartbeatAt: lastHeartbeatAt === null ? null : new Date(lastHeartbeatAt).toISOString(),
      settings: this.settings,
      peers: this.peers?.statuses() ?? [],
      drops,
      counters: { ...this.counters },
      tcp: {
        connections: engine.tcp.tcp.connectionCount,
        resetsSent: engine.tcp.tcp.stats.resetsSent,
        badChecksum: engine.tcp.tcp.stats.badChecksum,
      },
      ...services.status(),
    };
  }

  /** `tether agent ping`: echo probes through the tunnel to a peer, by cluster name or mesh IP. */
  ping(req: PingRequest): Promise<PingReport> {
    const { stack, udp } = this.running();
    const peers = this.peers!;
    return ping({ stack, udp, resolve: (t) => peers.resolve(t), pathTo: (ip) => peers.pathTo(ip) }, req);
  }

  /** `tether agent forward`: a local listener carried to a peer's exposed port. */
  addForward(spec: ForwardSpec): Promise<ForwardInfo> {
    if (!this.services) throw new Error("agent not started");
    return this.services.addForward(spec);
  }

  /** A peer's mesh IP by cluster name or dotted mesh IP; null when it is not in the netmap. */
  peerIpOf(target: string): number | null {
    return this.peers?.peerIpOf(target) ?? null;
  }

  /** Test fault switch: drop all direct UDP in both directions, as a firewall would. */
  setUdpBlocked(blocked: boolean): void {
    this.conn.setUdpBlocked(blocked);
  }

  /** Test hook: drop the relay sockets so they reconnect (as after a deploy). */
  reconnectRelays(): void {
    this.conn.reconnectRelays();
  }
}
