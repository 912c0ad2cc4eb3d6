import { randomBytes, randomUUID } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import type {
  HeartbeatResponse,
  Netmap,
  NetmapPeer,
  PeerStatus,
  RegisterRequest,
  RegisterResponse,
} from "../../protocol/api.ts";
import { ApiError } from "../cli/errors.ts";
import { PlatformClient } from "../cli/http.ts";
import { type AgentState, readState, writeState } from "../control/state-file.ts";
import { ipFromString, ipToString } from "../net/ipv4.ts";
import { NetStack } from "../net/stack.ts";
import { Udp, udpEcho } from "../net/udp.ts";
import { buildCallMeMaybe, parseCallMeMaybe } from "../paths/call-me-maybe.ts";
import { PeerPaths, type ProbeRequest } from "../paths/path-manager.ts";
import { buildProbePacket, parseProbePacket } from "../paths/probe.ts";
import { encodeBindingRequest, isStunMessage, parseBindingSuccess } from "../paths/stun.ts";
import { RelayClient } from "../relay/relay-client.ts";
import { ExposeService } from "../tunnel/expose.ts";
import { type ForwardInfo, ForwardService, type ForwardSpec } from "../tunnel/forward.ts";
import { Socks5Server } from "../tunnel/socks5-server.ts";
import type { Destination } from "../tunnel/socks5-wire.ts";
import { TcpDriver } from "../tunnel/tcp-driver.ts";
import type { Action, Endpoint } from "../wireguard/actions.ts";
import { Device, generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import type { AgentHealth } from "./health-server.ts";
import { localAddressesKey, localEndpoints, parseEndpoint } from "./local-endpoints.ts";
import { createLogger, type Logger } from "./logger.ts";
import { type PingReport, type PingRequest, ping } from "./ping.ts";
import { type AgentSettings, DEFAULT_SETTINGS, parseSettings } from "./settings.ts";

/**
 * The running agent: one WireGuard device on one UDP socket, a relay client
 * per peer, a path manager per peer, and the control loop with the platform.
 *
 * Datagram routing is the heart of it. Every datagram the WireGuard core wants
 * sent is routed here:
 * - replies to something that just arrived go back on the path it came in on
 *   (handshake responses, cookie replies, probe replies), so each path proves
 *   itself independently;
 * - everything else follows the path manager's choice: the proven direct
 *   endpoint, else the relay, else every candidate at once (the race).
 */

export const AGENT_VERSION = "0.1.0";

/** Stands for "the relay" wherever the core wants an endpoint. Never a real address. */
const RELAY_HOST = "relay.tether.invalid";
const RELAY_ENDPOINT: Endpoint = { host: RELAY_HOST, port: 0 };
const isRelayEndpoint = (e: Endpoint) => e.host === RELAY_HOST;

const TICK_MS = 50;
/**
 * STUN is repeated this often. It refreshes the server-reflexive candidate, and
 * the request itself keeps the NAT mapping of our socket alive: most NATs drop
 * an idle UDP mapping after 30 s or more, some after 25 s.
 */
const STUN_REFRESH_MS = 20_000;
/** Until a STUN server has answered once, ask again this often (the first request may be lost). */
const STUN_RETRY_MS = 1_000;
/** How long start() waits for the first STUN answer, so the first heartbeat already carries it. */
const STUN_FIRST_WAIT_MS = 500;
/** Local addresses are compared this often to notice a network change (a cheap syscall). */
const NETWORK_CHECK_MS = 1_000;
/** At most one call-me-maybe reply per peer in this window, so two agents never ping-pong them. */
const CALL_ME_MAYBE_REPLY_MS = 1_000;
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

export interface AgentOptions {
  platform: string;
  cluster: string;
  stateDir: string;
  /** Needed only the first time (or after the credential was revoked). */
  psk?: string | undefined;
  listenPort?: number;
  clusterUid?: string | undefined;
  heartbeatMs?: number;
  logger?: Logger;
  /**
   * Addresses to offer peers instead of this host's interface addresses (e.g. a
   * public address a port is forwarded from, or 127.0.0.1 for agents on one host).
   * The platform-observed and STUN-reflexive candidates are added either way.
   */
  advertiseAddresses?: readonly string[] | undefined;
  /** "host:port" for a SOCKS5 proxy into the mesh (`--socks5`); none when omitted. */
  socks5?: string | undefined;
  /** Enables `setUdpBlocked` (a test fault switch); never on by default. */
  allowFaultInjection?: boolean;
}

interface PeerEntry {
  info: NetmapPeer;
  meshIp: number;
  paths: PeerPaths;
  relay: RelayClient | null;
  probeSeq: number;
  /** Until then, with no session yet, we leave the first handshake to the peer (see GLARE_WAIT_MS). */
  passiveUntil: number;
  /**
   * Persistent keepalive is switched on only after the passive wait: the core sends a
   * keepalive (and so a handshake) as soon as a peer with keepalive is added, which
   * would defeat the wait.
   */
  keepaliveArmed: boolean;
  /** When we last sent this peer our endpoints (call-me-maybe). */
  lastCallMeMaybeAt: number;
  /** Our latest handshake initiation to this peer and when it left (see resendInitiationOnRelay). */
  lastInitiation: Uint8Array | null;
  lastInitiationAt: number;
}

function isInitiation(datagram: Uint8Array): boolean {
  return datagram.length > 0 && datagram[0] === MESSAGE_INITIATION;
}

/** WireGuard's REKEY_TIMEOUT: an initiation older than this has been superseded by a retry. */
const INITIATION_FRESH_MS = 5_000;
const MESSAGE_INITIATION = 1;

/**
 * Two agents that learn of each other at the same moment would both start a
 * handshake at once. WireGuard keeps one handshake per peer, so each side's
 * answer to the other wipes its own attempt, and neither ends up with a session
 * it may send on until the 5 s retry. So the side with the greater public key
 * waits this long before its first handshake, unless the peer already tried to
 * reach us (then it is waiting for us). Real traffic is never held back.
 */
const GLARE_WAIT_MS = 1_000;

type Arrival = { path: "direct"; from: Endpoint } | { path: "relay"; peer: string };

export interface AgentPeerStatus extends PeerStatus {
  meshIp: string;
  relay: "connecting" | "open" | "closed" | "off";
  /** Reconnect attempts the relay made after its socket closed (deploys, resets). */
  relayReconnects: number;
  switches: number;
  online: boolean;
}

export interface AgentStatus {
  cluster: string;
  platform: string;
  version: string;
  meshIp: string;
  publicKey: string;
  listenPort: number;
  endpoints: string[];
  platformReachable: boolean;
  lastHeartbeatAt: string | null;
  settings: AgentSettings;
  peers: AgentPeerStatus[];
  drops: Record<string, number>;
  counters: Record<string, number>;
  tcp: { connections: number; resetsSent: number; badChecksum: number };
  expose: { port: number; target: string }[];
  forwards: ForwardInfo[];
  socks5: string | null;
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
  state!: AgentState;
  device!: Device;
  stack!: NetStack;
  udp!: Udp;
  tcp!: TcpDriver;
  listenPort = 0;
  private expose!: ExposeService;
  private forwards!: ForwardService;
  private readonly valueForwards = new Set<string>();
  private socks: Socks5Server | null = null;

  private socket!: Socket;
  private api!: PlatformClient;
  private readonly peers = new Map<string, PeerEntry>();
  private selfIp = 0;
  private tick: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** The interval the platform last asked for (HeartbeatResponse.heartbeatSeconds), or Infinity. */
  private platformHeartbeatMs = Number.POSITIVE_INFINITY;
  private netmapVersion = "";
  private valuesVersion = "";
  private lastHeartbeatAt: number | null = null;
  private lastTickAt = Date.now();
  private platformReachable = false;
  /** STUN server -> the reflexive endpoint it last reported for our socket. */
  private readonly stunMapped = new Map<string, string>();
  private observedEndpoint: string | null = null;
  private netmapSyncing = false;
  private lastUnknownPeerAt = Number.NEGATIVE_INFINITY;
  private publicKeyB64 = "";
  private lastEarlyNetmapSync = Number.NEGATIVE_INFINITY;
  private stunPending = new Map<string, string>(); // transaction id hex -> server
  private readonly lastStunAt = new Map<string, number>(); // server -> when we last asked
  private lastNetworkCheckAt = Number.NEGATIVE_INFINITY;
  private localAddresses = "";
  /** endpoints() as last told to peers and the platform; a change triggers both. */
  private announcedEndpoints = "";
  private heartbeatRunning: Promise<void> | null = null;
  private heartbeatAgain = false;
  private udpBlocked = false;
  private stopped = false;
  private lastPaths = new Map<string, string>();
  readonly counters = {
    udpIn: 0,
    udpOut: 0,
    udpSendErrors: 0,
    udpDroppedFault: 0,
    relayIn: 0,
    relayOut: 0,
    coreErrors: 0,
    probesSent: 0,
    probeReplies: 0,
    callMeMaybeSent: 0,
    callMeMaybeReceived: 0,
    networkChanges: 0,
    initiationsResentOnRelay: 0,
  };

  constructor(private readonly opts: AgentOptions) {
    super();
    this.log = opts.logger ?? createLogger("info");
    // The level given on the command line holds unless agent values set one; values are
    // always read against this base, so a field removed from them goes back to its default.
    this.baseSettings = { ...DEFAULT_SETTINGS, logLevel: this.log.level };
    this.settings = this.baseSettings;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    this.state = await this.loadOrRegister();
    this.api = new PlatformClient({
      baseUrl: this.state.platform,
      accessKey: this.state.credential,
      timeoutMs: 10_000,
    });
    this.selfIp = ipFromString(this.state.meshIp);
    this.device = new Device({ privateKey: keyFromBase64(this.state.privateKey) });
    this.publicKeyB64 = keyToBase64(publicKeyFrom(keyFromBase64(this.state.privateKey)));
    this.stack = new NetStack({
      address: this.selfIp,
      mtu: this.settings.mtu,
      send: (packet) => this.sendInner(packet),
    });
    this.udp = new Udp(this.stack);
    udpEcho(this.udp, 7);
    // MSS follows the tunnel MTU at start (IPv4 + TCP headers are 40 bytes); see applySettings.
    this.tcp = new TcpDriver(this.stack, this.settings.mtu - 40);
    this.expose = new ExposeService(this.tcp, this.log);
    this.forwards = new ForwardService(this.tcp, (peer) => this.peerIpOf(peer), this.log);
    if (this.opts.socks5) {
      this.socks = new Socks5Server(this.tcp, (d) => this.socksTarget(d), this.log);
      const i = this.opts.socks5.lastIndexOf(":");
      await this.socks.listen(this.opts.socks5.slice(0, i), Number(this.opts.socks5.slice(i + 1)));
    }
    await this.bindSocket(this.opts.listenPort ?? 0);
    this.localAddresses = localAddressesKey();
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    await this.heartbeat();
    // STUN servers come with the agent values (known only after the first
    // heartbeat). Ask them now and send a second heartbeat if that found a
    // candidate, so the netmap has it before we report the agent up.
    const before = this.endpoints().join(",");
    await this.firstStun();
    this.announcedEndpoints = this.endpoints().join(",");
    if (this.announcedEndpoints !== before) await this.heartbeat();
    this.scheduleHeartbeat();
    this.log.info("agent up", {
      cluster: this.state.cluster,
      meshIp: this.state.meshIp,
      listenPort: this.listenPort,
      publicKey: keyToBase64(publicKeyFrom(keyFromBase64(this.state.privateKey))),
    });
  }

  /** For the health endpoint (health-server.ts): loop liveness, registration, last platform contact. */
  health(): AgentHealth {
    return {
      lastTickAt: this.lastTickAt,
      registered: this.state !== undefined,
      lastControlOkAt: this.lastHeartbeatAt,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tick) clearInterval(this.tick);
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.tcp?.stop();
    this.expose?.stop();
    this.socks?.close();
    await this.forwards?.stop();
    // A WebSocket close, not a dropped socket: the relay sees this side leave at once.
    await Promise.all([...this.peers.values()].map((p) => p.relay?.close()));
    this.peers.clear();
    await new Promise<void>((r) => {
      try {
        this.socket.close(() => r());
      } catch {
        r();
      }
    });
  }

  private async loadOrRegister(): Promise<AgentState> {
    const existing = await readState(this.opts.stateDir);
    if (
      existing &&
      existing.cluster === this.opts.cluster &&
      existing.platform === normalise(this.opts.platform)
    ) {
      return existing;
    }
    if (existing) {
      this.log.warn("state file belongs to another cluster or platform; registering again", {
        stateCluster: existing.cluster,
      });
    }
    return this.register(existing?.privateKey, existing?.clusterUid);
  }

  private async register(privateKeyB64?: string, clusterUid?: string): Promise<AgentState> {
    if (!this.opts.psk) {
      throw new Error(
        `no agent state in ${this.opts.stateDir} and no --psk given; pass the PSK from "cluster add"`,
      );
    }
    const privateKey = privateKeyB64 ? keyFromBase64(privateKeyB64) : generatePrivateKey();
    const uid = this.opts.clusterUid ?? clusterUid ?? randomUUID();
    const client = new PlatformClient({ baseUrl: this.opts.platform, timeoutMs: 15_000 });
    const body: RegisterRequest = {
      cluster: this.opts.cluster,
      psk: this.opts.psk,
      publicKey: keyToBase64(publicKeyFrom(privateKey)),
      clusterUid: uid,
      version: AGENT_VERSION,
    };
    const res = await client.json<RegisterResponse>("/api/v1/agent/register", { method: "POST", body });
    const state: AgentState = {
      version: 1,
      platform: normalise(this.opts.platform),
      cluster: res.cluster,
      privateKey: keyToBase64(privateKey),
      credential: res.credential,
      meshIp: res.meshIp,
      meshPrefix: res.meshPrefix,
      clusterUid: uid,
    };
    await writeState(this.opts.stateDir, state);
    this.log.info("registered with the platform", { cluster: res.cluster, meshIp: res.meshIp });
    return state;
  }

  private bindSocket(port: number): Promise<void> {
    this.socket = createSocket({
      type: "udp4",
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    this.socket.on("message", (msg, rinfo) => this.onUdp(msg, rinfo));
    this.socket.on("error", (e) => this.log.warn("udp socket error", { error: e.message }));
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind(port, () => {
        this.socket.off("error", reject);
        this.listenPort = this.socket.address().port;
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- control loop

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    const every = Math.min(this.opts.heartbeatMs ?? 5_000, this.platformHeartbeatMs);
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeat().finally(() => this.scheduleHeartbeat());
    }, every);
  }

  /**
   * A heartbeat now (our endpoints changed): the platform's netmap, and through
   * it every peer that is not reachable in-tunnel, learns of it without waiting
   * for the interval. Never two at once; one asked for during a heartbeat runs
   * right after it.
   */
  private heartbeatSoon(): void {
    if (this.stopped) return;
    if (this.heartbeatRunning) {
      this.heartbeatAgain = true;
      return;
    }
    void this.heartbeat();
  }

  /** One heartbeat, then netmap and values if their versions moved. Never throws. */
  async heartbeat(): Promise<void> {
    if (this.stopped) return;
    if (this.heartbeatRunning) return this.heartbeatRunning;
    this.heartbeatRunning = this.heartbeatOnce().finally(() => {
      this.heartbeatRunning = null;
      if (this.heartbeatAgain) {
        this.heartbeatAgain = false;
        this.heartbeatSoon();
      }
    });
    return this.heartbeatRunning;
  }

  private async heartbeatOnce(): Promise<void> {
    try {
      const res = await this.api.json<HeartbeatResponse>("/api/v1/agent/heartbeat", {
        method: "POST",
        body: {
          version: AGENT_VERSION,
          endpoints: this.endpoints(),
          peers: this.peerStatuses(),
          listenPort: this.listenPort,
        },
      });
      this.observedEndpoint = typeof res.observedEndpoint === "string" ? res.observedEndpoint : null;
      // The platform asks for quicker heartbeats while a new peer is awaited (never below 1 s).
      this.platformHeartbeatMs =
        typeof res.heartbeatSeconds === "number" && res.heartbeatSeconds >= 1
          ? res.heartbeatSeconds * 1000
          : Number.POSITIVE_INFINITY;
      this.platformReachable = true;
      this.lastHeartbeatAt = Date.now();
      if (res.netmapVersion !== this.netmapVersion) await this.syncNetmap();
      if (res.valuesVersion !== this.valuesVersion) await this.syncValues(res.valuesVersion);
    } catch (e) {
      this.platformReachable = false;
      if (e instanceof ApiError && e.status === 401) {
        await this.onCredentialRejected(e);
        return;
      }
      this.log.warn("heartbeat failed; direct paths keep working", { error: (e as Error).message });
    }
  }

  private async onCredentialRejected(e: ApiError): Promise<void> {
    if (this.opts.psk) {
      try {
        this.log.warn("platform refused the agent credential; registering again with the PSK");
        this.state = await this.register(this.state.privateKey, this.state.clusterUid);
        this.api = new PlatformClient({
          baseUrl: this.state.platform,
          accessKey: this.state.credential,
          timeoutMs: 10_000,
        });
        for (const p of this.peers.values()) this.restartRelay(p);
        return;
      } catch (e2) {
        this.fail(new Error(`agent credential refused and re-registration failed: ${(e2 as Error).message}`));
        return;
      }
    }
    this.fail(
      new Error(`platform refused the agent credential (${e.message}); the cluster was deleted or revoked`),
    );
  }

  private fail(e: Error): void {
    this.log.error(e.message);
    this.emit("fatal", e);
  }

  async syncNetmap(): Promise<void> {
    const nm = await this.api.json<Netmap>("/api/v1/agent/netmap");
    this.netmapVersion = nm.version;
    const wanted = new Map(nm.peers.map((p) => [p.cluster, p]));
    for (const [name, entry] of this.peers) {
      if (!wanted.has(name)) {
        entry.relay?.stop();
        this.device.removePeer(name);
        this.peers.delete(name);
        this.log.info("peer removed", { peer: name });
        this.emit("peer-removed", name);
      }
    }
    for (const info of nm.peers) {
      const existing = this.peers.get(info.cluster);
      const candidates = info.endpoints.map(parseEndpoint).filter((e): e is Endpoint => e !== null);
      if (existing) {
        if (existing.info.publicKey !== info.publicKey) {
          // The peer re-registered with a new key: start over with it.
          existing.relay?.stop();
          this.device.removePeer(info.cluster);
          this.peers.delete(info.cluster);
        } else {
          existing.info = info;
          existing.paths.setCandidates(candidates);
          continue;
        }
      }
      this.device.addPeer({
        name: info.cluster,
        publicKey: keyFromBase64(info.publicKey),
        // The core only emits sends for a peer with an endpoint; where they go is
        // decided here anyway, so any candidate (or the relay marker) will do.
        endpoint: candidates[0] ?? RELAY_ENDPOINT,
        allowedIps: [`${info.meshIp}/32`],
        persistentKeepaliveSeconds: 0, // armed in onTick, see PeerEntry.keepaliveArmed
      });
      const now = Date.now();
      const peerTriedUs = now - this.lastUnknownPeerAt < 2_000;
      const entry: PeerEntry = {
        info,
        meshIp: ipFromString(info.meshIp),
        paths: new PeerPaths(),
        relay: null,
        probeSeq: 0,
        passiveUntil: !peerTriedUs && this.publicKeyB64 > info.publicKey ? now + GLARE_WAIT_MS : 0,
        keepaliveArmed: false,
        lastCallMeMaybeAt: Number.NEGATIVE_INFINITY,
        lastInitiation: null,
        lastInitiationAt: Number.NEGATIVE_INFINITY,
      };
      entry.paths.setCandidates(candidates);
      this.peers.set(info.cluster, entry);
      this.restartRelay(entry);
      this.log.info("peer added", {
        peer: info.cluster,
        meshIp: info.meshIp,
        candidates: info.endpoints.length,
      });
      this.emit("peer-added", info.cluster);
    }
  }

  /**
   * A valid handshake from a key we do not know yet is almost always a peer that
   * registered since our last heartbeat. Fetch the netmap now instead of waiting
   * for the next heartbeat, so a new peer gets its first packet through in well
   * under a second. At most once a second, so a stranger cannot make us hammer
   * the platform.
   */
  private syncNetmapSoon(now: number): void {
    if (this.netmapSyncing || now - this.lastEarlyNetmapSync < 1_000 || this.stopped) return;
    this.lastEarlyNetmapSync = now;
    this.netmapSyncing = true;
    this.syncNetmap()
      .catch((e: Error) => this.log.warn("netmap fetch failed", { error: e.message }))
      .finally(() => {
        this.netmapSyncing = false;
      });
  }

  async syncValues(version: string): Promise<void> {
    const res = await this.api.request("/api/v1/agent/values", { accept: "application/yaml" });
    this.valuesVersion = version;
    const { settings, problems } = parseSettings(res.text, this.baseSettings);
    for (const p of problems) this.log.warn("agent values: ignored a field", { problem: p });
    this.applySettings(settings);
  }

  applySettings(next: AgentSettings): void {
    const prev = this.settings;
    this.settings = next;
    this.log.level = next.logLevel;
    if (prev.persistentKeepaliveSeconds !== next.persistentKeepaliveSeconds) {
      for (const [name, entry] of this.peers) {
        if (entry.keepaliveArmed)
          this.device.updatePeer(name, { persistentKeepaliveSeconds: next.persistentKeepaliveSeconds });
      }
    }
    if (prev.relayMode !== next.relayMode) for (const p of this.peers.values()) this.restartRelay(p);
    if (prev.mtu !== next.mtu) (this.stack as unknown as { mtu: number }).mtu = next.mtu;
    if (prev.stunServers.join() !== next.stunServers.join()) {
      // Mappings reported by servers no longer configured are not ours to offer.
      for (const server of [...this.stunMapped.keys()])
        if (!next.stunServers.includes(server)) this.stunMapped.delete(server);
      this.lastStunAt.clear();
    }
    // Values may arrive before start() built the stack (never in practice: start() builds it first).
    this.expose?.apply(next.expose);
    if (this.forwards) {
      const specs: ForwardSpec[] = next.forward.map((f) => ({ ...f }));
      void this.forwards.sync(specs, this.valueForwards).then((problems) => {
        for (const p of problems) this.log.warn("agent values: a forward could not start", { problem: p });
      });
    }
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

  private restartRelay(entry: PeerEntry): void {
    entry.relay?.stop();
    entry.relay = null;
    entry.paths.setRelayOpen(false);
    if (this.settings.relayMode === "never") return;
    const peer = entry.info.cluster;
    const relay = new RelayClient({
      platformUrl: this.state.platform,
      peer,
      credential: this.state.credential,
      onDatagram: (d) => {
        this.counters.relayIn++;
        this.fromNetwork(d, { path: "relay", peer });
      },
    });
    relay.on("open", () => {
      entry.paths.setRelayOpen(true);
      this.log.debug("relay open", { peer });
      this.resendInitiationOnRelay(peer, entry);
    });
    relay.on("close", (code) => {
      entry.paths.setRelayOpen(false);
      this.log.debug("relay closed", { peer, code });
    });
    relay.on("refused", (status, message) => {
      entry.paths.setRelayOpen(false);
      this.log.warn("relay refused", { peer, status, message });
    });
    relay.on("error", (e) => this.log.debug("relay error", { peer, error: e.message }));
    entry.relay = relay;
    relay.start();
  }

  // ---------------------------------------------------------------- datagrams

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.udpBlocked) {
      this.counters.udpDroppedFault++;
      return;
    }
    this.counters.udpIn++;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (isStunMessage(data)) {
      this.onStun(data);
      return;
    }
    this.fromNetwork(data, { path: "direct", from: { host: rinfo.address, port: rinfo.port } });
  }

  private fromNetwork(data: Uint8Array, arrival: Arrival): void {
    const from = arrival.path === "direct" ? arrival.from : RELAY_ENDPOINT;
    let actions: readonly Action[];
    try {
      actions = this.device.decapsulate(data, from, Date.now());
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error("wireguard core threw on input", { error: (e as Error).message });
      return;
    }
    this.perform(actions, arrival);
  }

  /** An inner IPv4 packet from our stack: route it through WireGuard. */
  private sendInner(packet: Uint8Array): void {
    const now = Date.now();
    let actions: readonly Action[];
    try {
      actions = this.device.encapsulate(packet, now);
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error("wireguard core threw on output", { error: (e as Error).message });
      return;
    }
    for (const a of actions) if (a.type === "send") this.peers.get(a.peer)?.paths.onSend(now);
    this.perform(actions, null);
  }

  private perform(actions: readonly Action[], arrival: Arrival | null, forced?: ProbeRequest): void {
    const now = Date.now();
    for (const a of actions) {
      switch (a.type) {
        case "send":
          // A probe pins its packet to one path, but a handshake initiation it triggers (no
          // session yet) must race on every path: pinned to a direct candidate behind a NAT that
          // drops it, every 5 s retry was lost the same way and the relay never carried one.
          if (forced && !isInitiation(a.data)) this.sendOn(a.peer, forced, a.data);
          else if (arrival) this.reply(a.peer, a.endpoint, a.data, arrival);
          else this.route(a.peer, a.data, now);
          break;
        case "deliver": {
          if (arrival) this.authenticated(a.peer, arrival, now);
          const probe = parseProbePacket(a.packet);
          if (probe && probe.dst === this.selfIp) {
            this.onProbe(a.peer, probe, arrival, now);
            break;
          }
          const cmm = parseCallMeMaybe(a.packet);
          if (cmm && cmm.dst === this.selfIp) this.onCallMeMaybe(a.peer, cmm.endpoints, now);
          else this.stack.input(a.packet, now, true);
          break;
        }
        case "handshake-complete":
          if (arrival) this.authenticated(a.peer, arrival, now);
          if (a.role === "responder" && arrival?.path === "relay")
            this.peers.get(a.peer)?.paths.peerReconnectedViaRelay();
          // A fresh session: tell the peer where we are now and start probing (hole punching).
          this.callMeMaybe(a.peer, now);
          this.log.debug("handshake complete", { peer: a.peer, role: a.role });
          this.emit("handshake-complete", a.peer);
          break;
        case "drop":
          if (a.reason === "unknown-peer") {
            this.lastUnknownPeerAt = now;
            this.syncNetmapSoon(now);
          }
          break;
        case "endpoint-changed":
        case "session-expired":
          break;
      }
    }
  }

  private authenticated(peer: string, arrival: Arrival, now: number): void {
    const entry = this.peers.get(peer);
    if (!entry) return;
    entry.paths.onAuthenticated(arrival.path, arrival.path === "direct" ? arrival.from : null, now);
  }

  /** Something we send because a datagram just arrived: answer on the path it came in on. */
  private reply(peer: string, endpoint: Endpoint, data: Uint8Array, arrival: Arrival): void {
    if (arrival.path === "relay") this.relaySend(arrival.peer, data);
    else if (isRelayEndpoint(endpoint)) this.relaySend(peer, data);
    else this.udpSend(arrival.from, data);
  }

  /**
   * The relay opens a moment after we learn of a peer, usually after our first
   * handshake initiation went out on UDP only. Behind a NAT that UDP cannot
   * cross (symmetric NAT, UDP blocked) that initiation is lost, and WireGuard
   * would retry only after REKEY_TIMEOUT (5 s). So the same initiation is sent
   * again on the relay as soon as it opens: the same bytes, not a new
   * handshake, so the responder sees at most a duplicate it ignores.
   */
  private resendInitiationOnRelay(peer: string, entry: PeerEntry): void {
    const init = entry.lastInitiation;
    if (init === null || Date.now() - entry.lastInitiationAt >= INITIATION_FRESH_MS) return;
    if (this.device.peerStats(peer).hasSession || this.settings.relayMode === "never") return;
    this.counters.initiationsResentOnRelay++;
    this.relaySend(peer, init);
  }

  private route(peer: string, data: Uint8Array, now: number): void {
    const entry = this.peers.get(peer);
    if (!entry) return;
    if (isInitiation(data)) {
      entry.lastInitiation = data;
      entry.lastInitiationAt = now;
    }
    if (this.settings.relayMode === "always") {
      this.relaySend(peer, data);
      return;
    }
    const choice = entry.paths.choose(now);
    this.notePath(peer, choice.kind === "race" ? "none" : choice.kind);
    if (choice.kind === "direct") this.udpSend(choice.endpoint, data);
    else if (choice.kind === "relay") this.relaySend(peer, data);
    else {
      for (const e of choice.endpoints) this.udpSend(e, data);
      if (choice.relay) this.relaySend(peer, data);
    }
  }

  private sendOn(peer: string, path: ProbeRequest, data: Uint8Array): void {
    if (path.path === "relay") this.relaySend(peer, data);
    else this.udpSend(path.endpoint, data);
  }

  private udpSend(e: Endpoint, data: Uint8Array): void {
    if (isRelayEndpoint(e)) return;
    if (this.udpBlocked) {
      this.counters.udpDroppedFault++;
      return;
    }
    this.counters.udpOut++;
    this.socket.send(data, e.port, e.host, this.afterUdpSend);
  }

  /** One callback for every send: a closure per datagram was garbage on the hottest path. */
  private readonly afterUdpSend = (err: Error | null): void => {
    if (err) this.counters.udpSendErrors++;
  };

  private relaySend(peer: string, data: Uint8Array): void {
    const relay = this.peers.get(peer)?.relay;
    if (relay?.send(data)) this.counters.relayOut++;
  }

  // ---------------------------------------------------------------- probes and timers

  private onProbe(
    peer: string,
    probe: NonNullable<ReturnType<typeof parseProbePacket>>,
    arrival: Arrival | null,
    now: number,
  ): void {
    const entry = this.peers.get(peer);
    if (!entry || !arrival) return;
    if (probe.kind === "ping") {
      const pong = buildProbePacket({ ...probe, kind: "pong", src: this.selfIp, dst: probe.src });
      const path: ProbeRequest =
        arrival.path === "relay" ? { path: "relay" } : { path: "direct", endpoint: arrival.from };
      this.perform(this.device.encapsulateTo(peer, pong, now), null, path);
      return;
    }
    this.counters.probeReplies++;
    // sentAt travels as 32 bits of our own clock; unwrap it against now.
    const sentAt = now - (((now >>> 0) - probe.sentAt) >>> 0);
    entry.paths.onProbeReply(arrival.path, arrival.path === "direct" ? arrival.from : null, sentAt, now);
  }

  private onTick(): void {
    const now = Date.now();
    this.lastTickAt = now;
    try {
      this.perform(this.device.updateTimers(now), null);
      this.stack.tick(now);
    } catch (e) {
      this.counters.coreErrors++;
      this.log.error("timer tick failed", { error: (e as Error).message });
    }
    for (const [name, entry] of this.peers) {
      const holdBack = now < entry.passiveUntil && this.device.peerStats(name).lastHandshakeAt === null;
      if (!holdBack && !entry.keepaliveArmed) {
        entry.keepaliveArmed = true;
        this.device.updatePeer(name, {
          persistentKeepaliveSeconds: this.settings.persistentKeepaliveSeconds,
        });
      }
      for (const probe of holdBack ? [] : entry.paths.dueProbes(now)) {
        if (probe.path === "direct" && this.settings.relayMode === "always") continue;
        if (probe.path === "relay" && !entry.relay) continue;
        const packet = buildProbePacket({
          kind: "ping",
          path: probe.path,
          seq: entry.probeSeq++,
          sentAt: now >>> 0,
          src: this.selfIp,
          dst: entry.meshIp,
        });
        this.counters.probesSent++;
        this.perform(this.device.encapsulateTo(name, packet, now), null, probe);
      }
      const snap = entry.paths.snapshot(now);
      this.notePath(name, snap.path);
    }
    this.maybeStun(now);
    if (now - this.lastNetworkCheckAt >= NETWORK_CHECK_MS) {
      this.lastNetworkCheckAt = now;
      this.checkNetwork(now);
    }
  }

  // ---------------------------------------------------------------- network changes and hole punching

  /**
   * Notices, within a second, that our addresses changed (a new interface, DHCP,
   * a move between networks) or that the endpoints we offer changed (a new
   * STUN mapping, a new observed address), and acts on it instead of waiting
   * for paths to time out.
   */
  private checkNetwork(now: number): void {
    const addresses = localAddressesKey();
    if (addresses !== this.localAddresses) {
      this.log.info("network changed", { from: this.localAddresses, to: addresses });
      this.localAddresses = addresses;
      this.counters.networkChanges++;
      // Old mappings belong to the old network; ask STUN again right away.
      this.stunMapped.clear();
      this.lastStunAt.clear();
      this.observedEndpoint = null;
      for (const entry of this.peers.values()) {
        entry.paths.networkChanged();
        // The relay's TCP connection may be bound to an address that is gone.
        entry.relay?.reconnectNow();
      }
      this.maybeStun(now);
    }
    const endpoints = this.endpoints().join(",");
    if (endpoints !== this.announcedEndpoints) {
      this.log.debug("our endpoints changed", { from: this.announcedEndpoints, to: endpoints });
      this.announcedEndpoints = endpoints;
      for (const name of this.peers.keys()) this.callMeMaybe(name, now);
      this.heartbeatSoon();
    }
  }

  /**
   * Tells the peer our current endpoints inside the tunnel, over the relay when
   * it is open (it is the path that works before any hole is punched) and on
   * the direct path we use, and starts probing the peer's endpoints ourselves
   * at the same moment.
   */
  private callMeMaybe(peer: string, now: number): void {
    const entry = this.peers.get(peer);
    if (!entry || this.settings.relayMode === "always") return;
    entry.lastCallMeMaybeAt = now;
    entry.paths.probeNow();
    const eps = this.endpoints()
      .map(parseEndpoint)
      .filter((e): e is Endpoint => e !== null);
    const packet = buildCallMeMaybe(this.selfIp, entry.meshIp, eps);
    this.counters.callMeMaybeSent++;
    if (entry.relay?.state === "open")
      this.perform(this.device.encapsulateTo(peer, packet, now), null, { path: "relay" });
    const snap = entry.paths.snapshot(now);
    if (snap.path === "direct" || entry.relay?.state !== "open")
      this.perform(this.device.encapsulateTo(peer, packet, now), null);
  }

  private onCallMeMaybe(peer: string, endpoints: Endpoint[], now: number): void {
    const entry = this.peers.get(peer);
    if (!entry) return;
    this.counters.callMeMaybeReceived++;
    this.log.debug("peer announced endpoints", {
      peer,
      endpoints: endpoints.map((e) => `${e.host}:${e.port}`),
    });
    entry.paths.setAnnounced(endpoints);
    // Answer once, so the peer probes us while we probe it (that is what opens both NATs).
    if (now - entry.lastCallMeMaybeAt >= CALL_ME_MAYBE_REPLY_MS) this.callMeMaybe(peer, now);
  }

  private notePath(peer: string, path: "direct" | "relay" | "none"): void {
    if (this.lastPaths.get(peer) === path) return;
    this.lastPaths.set(peer, path);
    this.log.info("path changed", { peer, path });
    this.emit("path-changed", peer, path);
  }

  // ---------------------------------------------------------------- STUN

  /** Asks each STUN server whose answer is due: every 20 s, or every second until it first answers. */
  private maybeStun(now: number): void {
    for (const server of this.settings.stunServers) {
      const every = this.stunMapped.has(server) ? STUN_REFRESH_MS : STUN_RETRY_MS;
      if (now - (this.lastStunAt.get(server) ?? Number.NEGATIVE_INFINITY) < every) continue;
      const ep = parseEndpoint(server);
      if (!ep) continue; // names are resolved by the OS only in a later version; IPs work now
      this.lastStunAt.set(server, now);
      for (const [tid, s] of this.stunPending) if (s === server) this.stunPending.delete(tid);
      const tid = randomBytes(12);
      this.stunPending.set(tid.toString("hex"), server);
      this.udpSend(ep, encodeBindingRequest(tid));
    }
  }

  /** The first STUN round, awaited briefly so the first heartbeat already offers the reflexive candidate. */
  private async firstStun(): Promise<void> {
    if (this.settings.stunServers.length === 0) return;
    this.maybeStun(Date.now());
    const deadline = Date.now() + STUN_FIRST_WAIT_MS;
    while (this.stunPending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private onStun(data: Uint8Array): void {
    const tidHex = Buffer.from(data.subarray(8, 20)).toString("hex");
    const server = this.stunPending.get(tidHex);
    if (server === undefined) return;
    this.stunPending.delete(tidHex);
    const mapped = parseBindingSuccess(data, data.subarray(8, 20));
    if (mapped) this.stunMapped.set(server, `${mapped.host}:${mapped.port}`);
  }

  // ---------------------------------------------------------------- status

  /** Our direct-path candidates, most likely to work first: observed, STUN, then our own addresses. */
  endpoints(): string[] {
    const own = this.opts.advertiseAddresses
      ? this.opts.advertiseAddresses.map((a) => `${a}:${this.listenPort}`)
      : localEndpoints(this.listenPort);
    const observed = this.observedEndpoint ? [this.observedEndpoint] : [];
    return [...new Set([...observed, ...this.stunMapped.values(), ...own])];
  }

  private peerStatuses(): AgentPeerStatus[] {
    const now = Date.now();
    return [...this.peers.entries()].map(([name, e]) => {
      const s = this.device.peerStats(name);
      const snap = e.paths.snapshot(now);
      return {
        cluster: name,
        meshIp: e.info.meshIp,
        path: snap.path,
        endpoint: snap.endpoint,
        rttMs: snap.rttMs,
        rxBytes: s.rxBytes,
        txBytes: s.txBytes,
        lastHandshakeAgeSeconds:
          s.lastHandshakeAt === null ? null : Math.max(0, Math.round((now - s.lastHandshakeAt) / 1000)),
        relay: e.relay ? e.relay.state : "off",
        relayReconnects: e.relay?.reconnects ?? 0,
        switches: snap.switches,
        online: e.info.online,
      };
    });
  }

  status(): AgentStatus {
    const drops: Record<string, number> = {};
    for (const [k, v] of this.device.drops) drops[k] = v;
    return {
      cluster: this.state.cluster,
      platform: this.state.platform,
      version: AGENT_VERSION,
      meshIp: this.state.meshIp,
      publicKey: keyToBase64(publicKeyFrom(keyFromBase64(this.state.privateKey))),
      listenPort: this.listenPort,
      endpoints: this.endpoints(),
      platformReachable: this.platformReachable,
      lastHeartbeatAt: this.lastHeartbeatAt === null ? null : new Date(this.lastHeartbeatAt).toISOString(),
      settings: this.settings,
      peers: this.peerStatuses(),
      drops,
      counters: { ...this.counters },
      tcp: {
        connections: this.tcp.tcp.connectionCount,
        resetsSent: this.tcp.tcp.stats.resetsSent,
        badChecksum: this.tcp.tcp.stats.badChecksum,
      },
      expose: this.expose.rules(),
      forwards: this.forwards.list(),
      socks5: this.socks?.address ?? null,
    };
  }

  /** `tether agent ping`: echo probes through the tunnel to a peer, by cluster name or mesh IP. */
  ping(req: PingRequest): Promise<PingReport> {
    const byIp = (ip: number) => [...this.peers.values()].find((p) => p.meshIp === ip);
    return ping(
      {
        stack: this.stack,
        udp: this.udp,
        resolve: (target) => {
          const ip = this.peerIpOf(target);
          const entry = ip === null ? undefined : byIp(ip);
          return entry
            ? { ip: entry.meshIp, ipText: ipToString(entry.meshIp), cluster: entry.info.cluster }
            : null;
        },
        pathTo: (ip) => byIp(ip)?.paths.snapshot(Date.now()).path ?? "none",
      },
      req,
    );
  }

  /** `tether agent forward`: a local listener carried to a peer's exposed port. */
  addForward(spec: ForwardSpec): Promise<ForwardInfo> {
    return this.forwards.add(spec);
  }

  /** A peer's mesh IP by cluster name or dotted mesh IP; null when it is not in the netmap. */
  peerIpOf(target: string): number | null {
    const byName = this.peers.get(target);
    if (byName) return byName.meshIp;
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(target)) return null;
    let ip: number;
    try {
      ip = ipFromString(target);
    } catch {
      return null;
    }
    for (const p of this.peers.values()) if (p.meshIp === ip) return ip;
    return null;
  }

  /** SOCKS5 destinations: `<cluster>.tether`, or a peer's mesh IP (as an address or a dotted name). */
  private socksTarget(d: Destination): number | null {
    if (d.type === "ipv4") return this.peerIpOf(ipToString(d.ip));
    const name = d.name.toLowerCase().replace(/\.$/, "");
    if (name.endsWith(".tether")) return this.peerIpOf(name.slice(0, -".tether".length));
    return /^\d+\.\d+\.\d+\.\d+$/.test(name) ? this.peerIpOf(name) : null;
  }

  /** Test fault switch: drop all direct UDP in both directions, as a firewall would. */
  setUdpBlocked(blocked: boolean): void {
    if (!this.opts.allowFaultInjection) throw new Error("fault injection is disabled");
    this.udpBlocked = blocked;
    this.log.warn("fault injection: direct UDP", { blocked });
  }

  /** Test hook: drop the relay sockets so they reconnect (as after a deploy). */
  reconnectRelays(): void {
    for (const p of this.peers.values()) p.relay?.reconnectNow();
  }
}

function normalise(u: string): string {
  return u.replace(/\/+$/, "");
}
