/**
 * The agent's conversation with the platform (tailscale's controlclient, in
 * small): register with the PSK or reuse the stored identity, then hold the
 * control channel (a WebSocket the platform pushes netmap deltas and values
 * notices down, and that carries our status up when it changes). While the
 * channel is down (a proxy that refuses upgrades, a deploy) it heartbeats over
 * HTTP on an interval instead, fetching the netmap and the agent values when
 * their versions move. It registers again when the credential is refused. It
 * knows nothing of peers or sockets: it emits `netmap`, `values` and `fatal`,
 * and asks for the agent's status through the `status` function.
 */
import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  Netmap,
  RegisterRequest,
  RegisterResponse,
} from "../../protocol/api.ts";
import type { ServerMessage } from "../../protocol/control.ts";
import type { Cancel, Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import { ControlChannel } from "./control-channel.ts";
import { applyDelta } from "./netmap-delta.ts";
import { PlatformClient } from "./platform-client.ts";
import { ApiError } from "./platform-errors.ts";
import type { AgentState, StateStore } from "./state-store.ts";
import { statusDue, statusKey } from "./status-report.ts";

/** The fallback HTTP heartbeat, used only while the control channel is down. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** How often the status is compared with what was last sent on the channel (locally; sent only if due). */
export const STATUS_CHECK_MS = 5_000;
/** An early netmap fetch (a stranger's handshake) happens at most this often. */
export const EARLY_NETMAP_MIN_MS = 1_000;
const API_TIMEOUT_MS = 10_000;
const REGISTER_TIMEOUT_MS = 15_000;

export interface ControlClientOptions {
  platform: string;
  cluster: string;
  /** Needed only the first time (or after the credential was revoked). */
  psk?: string | undefined;
  /** Sent at registration; a random one is made (and stored) when neither this nor the state has one. */
  clusterUid?: string | undefined;
  store: StateStore;
  clock: Clock;
  log: Logger;
  /** The fallback heartbeat interval (while the control channel is down). */
  heartbeatMs?: number | undefined;
  /** false: HTTP heartbeats only, as before the control channel (tests and benches compare). */
  controlChannel?: boolean | undefined;
  version: string;
  /** What each heartbeat reports: our endpoints, our peers' paths, our UDP port. */
  status(): Omit<HeartbeatRequest, "version">;
}

export interface ControlClientEvents {
  /** A netmap newer than the last one. */
  netmap: [netmap: Netmap];
  /** The agent values (YAML) after their version moved, and that version. */
  values: [yaml: string, version: string];
  /** The address the platform saw us at (paired with our port), or null. */
  "observed-endpoint": [endpoint: string | null];
  /** The credential was refused and registration with the PSK gave a new one. */
  reregistered: [state: AgentState];
  /** The platform refused us for good: the agent must stop. */
  fatal: [error: Error];
}

export class ControlClient extends EventEmitter<ControlClientEvents> {
  private current: AgentState | null = null;
  private api: PlatformClient | null = null;
  private netmapVersion = "";
  private valuesVersion = "";
  /** The interval the platform last asked for (HeartbeatResponse.heartbeatSeconds), or Infinity. */
  private platformHeartbeatMs = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  private cancelTimer: (() => void) | null = null;
  private netmapSyncing = false;
  private lastEarlyNetmapAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  platformReachable = false;
  /** Clock time of the last heartbeat the platform answered. */
  lastHeartbeatAt: number | null = null;
  /** Clock time of the last successful heartbeat or netmap fetch. */
  lastOkAt: number | null = null;
  private channel: ControlChannel | null = null;
  /** A channel refused while HTTP still works is not retried before this (clock time). */
  private channelHeldUntil = Number.NEGATIVE_INFINITY;
  /** Refused for good: no channel is opened again. */
  private failed = false;
  private netmap: Netmap | null = null;
  private valuesText: string | null = null;
  private lastStatusKey: string | null = null;
  private lastStatusAt = Number.NEGATIVE_INFINITY;
  private cancelStatusCheck: Cancel | null = null;

  /** Whether the control channel is up (pushes arrive; no HTTP heartbeats are sent). */
  get channelConnected(): boolean {
    return this.channel?.connected ?? false;
  }

  constructor(private readonly o: ControlClientOptions) {
    super();
  }

  get state(): AgentState {
    if (!this.current) throw new Error("control client not started");
    return this.current;
  }

  /** Loads the stored identity, or registers with the PSK; returns it. Throws when neither works. */
  async start(): Promise<AgentState> {
    const existing = await this.o.store.load();
    if (existing && existing.cluster === this.o.cluster && existing.platform === normalise(this.o.platform)) {
      this.current = existing;
    } else {
      if (existing) {
        this.o.log.warn("state file belongs to another cluster or platform; registering again", {
          stateCluster: existing.cluster,
        });
      }
      this.current = await this.register(existing?.privateKey, existing?.clusterUid);
    }
    this.api = this.clientFor(this.current);
    return this.current;
  }

  /** Opens the control channel, and heartbeats over HTTP every interval while it is down. */
  run(): void {
    if (this.stopped) return;
    const held = this.o.clock.now() < this.channelHeldUntil;
    if (this.o.controlChannel !== false && this.channel === null && !this.failed && !held) this.openChannel();
    if (this.cancelTimer) return;
    const every = Math.min(this.o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, this.platformHeartbeatMs);
    this.cancelTimer = this.o.clock.schedule(every, () => {
      const beat = this.channelConnected ? Promise.resolve() : this.heartbeat();
      void beat.finally(() => {
        this.cancelTimer = null;
        this.run();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.closeChannel();
  }

  /** One heartbeat, then netmap and values if their versions moved. Never throws; never two at once. */
  heartbeat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) return this.running;
    this.running = this.heartbeatOnce().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.heartbeatSoon();
      }
    });
    return this.running;
  }

  /**
   * A heartbeat now (our endpoints changed): the platform's netmap, and through
   * it every peer that is not reachable in-tunnel, learns of it without waiting
   * for the interval. One asked for during a heartbeat runs right after it.
   */
  heartbeatSoon(): void {
    if (this.stopped) return;
    if (this.channelConnected) {
      this.sendStatus(false);
      return;
    }
    if (this.running) this.again = true;
    else void this.heartbeat();
  }

  /**
   * A valid handshake from a key we do not know yet is almost always a peer that
   * registered since our last heartbeat. Fetch the netmap now instead of waiting
   * for the next heartbeat, so a new peer gets its first packet through in well
   * under a second. At most once a second, so a stranger cannot make us hammer
   * the platform.
   */
  syncNetmapSoon(): void {
    const now = this.o.clock.now();
    if (this.stopped || this.netmapSyncing || now - this.lastEarlyNetmapAt < EARLY_NETMAP_MIN_MS) return;
    this.lastEarlyNetmapAt = now;
    // On the channel the netmap is pushed; ask for it whole there, in order with the deltas.
    if (this.channel?.send({ type: "resync" })) return;
    this.netmapSyncing = true;
    this.syncNetmap()
      .catch((e: Error) => this.o.log.warn("netmap fetch failed", { error: e.message }))
      .finally(() => {
        this.netmapSyncing = false;
      });
  }

  private async heartbeatOnce(): Promise<void> {
    try {
      const body: HeartbeatRequest = { version: this.o.version, ...this.o.status() };
      const res = await this.client().json<HeartbeatResponse>("/api/v1/agent/heartbeat", {
        method: "POST",
        body,
      });
      this.emit("observed-endpoint", typeof res.observedEndpoint === "string" ? res.observedEndpoint : null);
      // The platform asks for quicker heartbeats while a new peer is awaited (never below 1 s).
      this.platformHeartbeatMs =
        typeof res.heartbeatSeconds === "number" && res.heartbeatSeconds >= 1
          ? res.heartbeatSeconds * 1000
          : Number.POSITIVE_INFINITY;
      this.platformReachable = true;
      this.lastHeartbeatAt = this.o.clock.now();
      this.lastOkAt = this.lastHeartbeatAt;
      if (res.netmapVersion !== this.netmapVersion) await this.syncNetmap();
      if (res.valuesVersion !== this.valuesVersion) await this.syncValues(res.valuesVersion);
    } catch (e) {
      this.platformReachable = false;
      if (e instanceof ApiError && e.status === 401) {
        await this.onCredentialRejected(e);
        return;
      }
      this.o.log.warn("heartbeat failed; direct paths keep working", { error: (e as Error).message });
    }
  }

  private async syncNetmap(): Promise<void> {
    this.useNetmap(await this.client().json<Netmap>("/api/v1/agent/netmap"));
  }

  private useNetmap(nm: Netmap): void {
    this.netmap = nm;
    this.netmapVersion = nm.version;
    this.lastOkAt = this.o.clock.now();
    this.emit("netmap", nm);
  }

  private async syncValues(version: string): Promise<void> {
    const res = await this.client().request("/api/v1/agent/values", { accept: "application/yaml" });
    this.valuesVersion = version;
    this.valuesText = res.text;
    this.emit("values", res.text, version);
  }

  /** Values after a push (or a reconnect): fetched, and applied only if they differ. */
  private async refreshValues(): Promise<void> {
    try {
      const res = await this.client().request("/api/v1/agent/values", { accept: "application/yaml" });
      if (res.text === this.valuesText) return;
      this.valuesText = res.text;
      // The next fallback heartbeat compares versions again; make it fetch once more if needed.
      this.valuesVersion = "";
      this.emit("values", res.text, valuesRevision(res.text));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) await this.onCredentialRejected(e);
      else this.o.log.warn("values fetch failed", { error: (e as Error).message });
    }
  }

  // ---------------------------------------------------------------- control channel

  private openChannel(): void {
    const channel = new ControlChannel({
      platformUrl: this.state.platform,
      credential: this.state.credential,
      clock: this.o.clock,
    });
    this.channel = channel;
    channel.on("open", () => {
      this.o.log.info("control channel open; HTTP heartbeats paused");
      this.platformReachable = true;
      this.lastOkAt = this.o.clock.now();
      this.lastStatusKey = null;
      this.sendStatus(true);
      this.scheduleStatusCheck();
      // Values may have changed while we were away.
      void this.refreshValues();
    });
    channel.on("alive", () => {
      this.platformReachable = true;
      this.lastOkAt = this.o.clock.now();
    });
    channel.on("message", (m) => this.onChannelMessage(m));
    channel.on("down", (reason) => {
      this.cancelStatusCheck?.();
      this.cancelStatusCheck = null;
      this.o.log.debug("control channel down; falling back to HTTP heartbeats", { reason });
    });
    channel.on("revoked", (reason) => {
      this.o.log.warn("control channel refused; checking the credential", { reason });
      this.closeChannel();
      // The heartbeat meets the 401 and registers again (or stops the agent); then a new channel
      // opens. If the credential still works over HTTP, wait an interval before trying the channel.
      const credential = this.state.credential;
      void this.heartbeat().finally(() => {
        if (this.state.credential === credential) {
          this.channelHeldUntil = this.o.clock.now() + (this.o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
        }
        this.run();
      });
    });
    channel.start();
  }

  private closeChannel(): void {
    this.cancelStatusCheck?.();
    this.cancelStatusCheck = null;
    this.channel?.removeAllListeners();
    this.channel?.stop();
    this.channel = null;
  }

  private onChannelMessage(m: ServerMessage): void {
    this.lastOkAt = this.o.clock.now();
    switch (m.type) {
      case "netmap":
        this.useNetmap(m.netmap);
        return;
      case "netmap-delta": {
        const next = applyDelta(this.netmap, m);
        if (next === null) this.channel?.send({ type: "resync" });
        else this.useNetmap(next);
        return;
      }
      case "values-changed":
        void this.refreshValues();
        return;
      case "observed-endpoint":
        this.emit("observed-endpoint", m.endpoint);
        return;
    }
  }

  /** Sends our status on the channel when it moved meaningfully (or `force`). */
  private sendStatus(force: boolean): void {
    const status: HeartbeatRequest = { version: this.o.version, ...this.o.status() };
    const now = this.o.clock.now();
    if (!force && !statusDue(this.lastStatusKey, this.lastStatusAt, status, now)) return;
    if (this.channel?.send({ type: "status", ...status })) {
      this.lastStatusKey = statusKey(status);
      this.lastStatusAt = now;
    }
  }

  private scheduleStatusCheck(): void {
    this.cancelStatusCheck?.();
    this.cancelStatusCheck = this.o.clock.schedule(STATUS_CHECK_MS, () => {
      this.cancelStatusCheck = null;
      if (!this.channelConnected || this.stopped) return;
      this.sendStatus(false);
      this.scheduleStatusCheck();
    });
  }

  private async onCredentialRejected(e: ApiError): Promise<void> {
    if (!this.o.psk) {
      this.fail(
        new Error(
          `platform refused the agent credential (${e.message}); the cluster was deleted or revoked. ${this.reconnectHint()}`,
        ),
      );
      return;
    }
    try {
      this.o.log.warn("platform refused the agent credential; registering again with the PSK");
      this.current = await this.register(this.state.privateKey, this.state.clusterUid);
      this.api = this.clientFor(this.current);
      // The old channel's credential is dead; the next run() opens one with the new credential.
      this.closeChannel();
      this.emit("reregistered", this.current);
    } catch (e2) {
      // A refused PSK after a refused credential is the platform cutting this agent off (revoked,
      // or the cluster deleted): retrying cannot help, only the admin can, so say what they do.
      const cutOff = e2 instanceof ApiError && e2.status === 401;
      this.fail(
        new Error(
          cutOff
            ? `agent credential refused and re-registration failed: the platform refused the PSK too (${e2.message}); the cluster's agent was revoked, its PSK rotated, or the cluster deleted. ${this.reconnectHint()}`
            : `agent credential refused and re-registration failed: ${(e2 as Error).message}`,
        ),
      );
    }
  }

  /** The admin's way back for a cut-off agent (a deleted cluster is added again instead). */
  private reconnectHint(): string {
    return `To reconnect, rotate the PSK (tether cluster rotate-psk ${this.o.cluster}) and run the new connect command.`;
  }

  private fail(e: Error): void {
    this.failed = true;
    this.closeChannel();
    this.o.log.error(e.message);
    this.emit("fatal", e);
  }

  private async register(privateKeyB64?: string, clusterUid?: string): Promise<AgentState> {
    if (!this.o.psk) {
      throw new Error(
        `no agent state in ${this.o.store.description} and no --psk given; pass the PSK from "cluster add"`,
      );
    }
    const privateKey = privateKeyB64 ? keyFromBase64(privateKeyB64) : generatePrivateKey();
    const uid = this.o.clusterUid ?? clusterUid ?? randomUUID();
    const client = new PlatformClient({ baseUrl: this.o.platform, timeoutMs: REGISTER_TIMEOUT_MS });
    const body: RegisterRequest = {
      cluster: this.o.cluster,
      psk: this.o.psk,
      publicKey: keyToBase64(publicKeyFrom(privateKey)),
      clusterUid: uid,
      version: this.o.version,
    };
    const res = await this.registerWithRetry(client, body);
    const state: AgentState = {
      version: 1,
      platform: normalise(this.o.platform),
      cluster: res.cluster,
      privateKey: keyToBase64(privateKey),
      credential: res.credential,
      meshIp: res.meshIp,
      meshPrefix: res.meshPrefix,
      clusterUid: uid,
    };
    await this.o.store.save(state);
    this.o.log.info("registered with the platform", { cluster: res.cluster, meshIp: res.meshIp });
    return state;
  }

  /**
   * POST register, waiting out 429s. The platform limits failed PSK proofs per source and per
   * cluster, and a correct PSK is never refused for someone else's guesses, but a limit reached from
   * this agent's own address (a NAT shared with a misconfigured agent, say) is transient: wait as
   * long as the platform says, plus some jitter so agents behind one address do not return at
   * once, and try again until stopped. Any other refusal (a wrong PSK) stays final.
   */
  private async registerWithRetry(client: PlatformClient, body: RegisterRequest): Promise<RegisterResponse> {
    for (;;) {
      try {
        return await client.json<RegisterResponse>("/api/v1/agent/register", { method: "POST", body });
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 429 || this.stopped) throw e;
        const waitMs = registerRetryDelayMs(e, Math.random());
        this.o.log.warn("platform is rate-limiting registration; retrying", {
          waitSeconds: Math.round(waitMs / 1000),
          reason: e.message,
        });
        await new Promise<void>((resolve) => this.o.clock.schedule(waitMs, resolve));
        if (this.stopped) throw e;
      }
    }
  }

  private client(): PlatformClient {
    if (!this.api) throw new Error("control client not started");
    return this.api;
  }

  private clientFor(state: AgentState): PlatformClient {
    return new PlatformClient({
      baseUrl: state.platform,
      accessKey: state.credential,
      timeoutMs: API_TIMEOUT_MS,
    });
  }
}

function normalise(u: string): string {
  return u.replace(/\/+$/, "");
}

/** When no Retry-After comes with a 429 (it always should), wait this long. */
const DEFAULT_REGISTER_RETRY_MS = 30_000;
const MAX_REGISTER_RETRY_MS = 10 * 60_000;

/** How long to wait after a 429 from register: the platform's retryAfterSeconds plus up to 20% jitter. */
export function registerRetryDelayMs(e: ApiError, random01: number): number {
  const seconds = e.details?.retryAfterSeconds;
  const base =
    typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0
      ? Math.min(seconds * 1000, MAX_REGISTER_RETRY_MS)
      : DEFAULT_REGISTER_RETRY_MS;
  return Math.round(base * (1 + 0.2 * random01));
}

/**
 * The platform's version of a values document (the first 16 hex digits of its SHA-256), for values
 * that arrived by push rather than with a heartbeat's valuesVersion: the report names the same revision.
 */
function valuesRevision(yaml: string): string {
  return createHash("sha256").update(yaml).digest("hex").slice(0, 16);
}
