/**
 * The agent's peers: the netmap applied to the engine's Device and to one
 * PeerEndpoint per peer (added, updated, removed, or started over when a peer
 * re-registered with a new key), and lookups by name or mesh IP.
 */
import type { NetmapPeer } from "../../protocol/api.ts";
import type { Engine } from "../engine/engine.ts";
import { ipFromString, ipToString } from "../net/ipv4.ts";
import { usableCandidates } from "../paths/candidates.ts";
import type { Conn } from "../paths/conn.ts";
import {
  type EndpointCounters,
  glareWaitApplies,
  type PathVia,
  PeerEndpoint,
  RELAY_ENDPOINT,
} from "../paths/peer-endpoint.ts";
import type { AgentSettings } from "../settings/agent-settings.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { keyFromBase64 } from "../wireguard/index.ts";
import type { AgentPeerStatus } from "./agent-status.ts";

/** A handshake from an unknown key this recently means the peer is already trying us: no glare wait. */
const PEER_TRIED_US_MS = 2_000;

export interface PeerTableOptions {
  engine: Engine<PathVia>;
  conn: Conn;
  clock: Clock;
  log: Logger;
  selfIp: number;
  publicKey: string;
  /** Shared by every PeerEndpoint: the agent reports the totals. */
  counters: EndpointCounters;
  settings(): AgentSettings;
  /** When the core last dropped a handshake from a key not in the netmap. */
  lastUnknownPeerAt(): number;
  onAdded(peer: string): void;
  onRemoved(peer: string): void;
  onPathChanged(peer: string, path: "direct" | "relay" | "none"): void;
}

export interface Peer {
  info: NetmapPeer;
  endpoint: PeerEndpoint;
}

export class PeerTable {
  private readonly peers = new Map<string, Peer>();

  constructor(private readonly o: PeerTableOptions) {}

  endpoint(name: string): PeerEndpoint | undefined {
    return this.peers.get(name)?.endpoint;
  }

  endpoints(): PeerEndpoint[] {
    return [...this.peers.values()].map((p) => p.endpoint);
  }

  byIp(ip: number): Peer | undefined {
    for (const p of this.peers.values()) if (p.endpoint.peerIp === ip) return p;
    return undefined;
  }

  /** A peer's mesh IP by cluster name or dotted mesh IP; null when it is not in the netmap. */
  peerIpOf(target: string): number | null {
    const byName = this.peers.get(target);
    if (byName) return byName.endpoint.peerIp;
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(target)) return null;
    let ip: number;
    try {
      ip = ipFromString(target);
    } catch {
      return null;
    }
    return this.byIp(ip) ? ip : null;
  }

  /** `tether agent ping`'s target: a peer by cluster name or mesh IP. */
  resolve(target: string): { ip: number; ipText: string; cluster: string } | null {
    const ip = this.peerIpOf(target);
    const peer = ip === null ? undefined : this.byIp(ip);
    return peer
      ? { ip: peer.endpoint.peerIp, ipText: ipToString(peer.endpoint.peerIp), cluster: peer.info.cluster }
      : null;
  }

  /** The path traffic to this mesh IP takes now. */
  pathTo(ip: number): "direct" | "relay" | "none" {
    return this.byIp(ip)?.endpoint.paths.snapshot(this.o.clock.now()).path ?? "none";
  }

  apply(peers: readonly NetmapPeer[]): void {
    const wanted = new Set(peers.map((p) => p.cluster));
    for (const [name, p] of this.peers) if (!wanted.has(name)) this.remove(name, p, true);
    for (const info of peers) {
      const existing = this.peers.get(info.cluster);
      if (existing && existing.info.publicKey === info.publicKey) {
        existing.info = info;
        existing.endpoint.setCandidates(info.endpoints);
        continue;
      }
      // New, or re-registered with a new key: start over with it.
      if (existing) this.remove(info.cluster, existing, false);
      this.add(info);
    }
  }

  clear(): void {
    for (const p of this.peers.values()) p.endpoint.stop();
    this.peers.clear();
  }

  private add(info: NetmapPeer): void {
    const { engine, clock } = this.o;
    const peerTriedUs = clock.now() - this.o.lastUnknownPeerAt() < PEER_TRIED_US_MS;
    const endpoint = new PeerEndpoint({
      name: info.cluster,
      selfIp: this.o.selfIp,
      peerIp: ipFromString(info.meshIp),
      glareWait: glareWaitApplies(this.o.publicKey, info.publicKey, peerTriedUs),
      idleFollower: this.o.publicKey > info.publicKey,
      clock,
      log: this.o.log,
      transport: this.o.conn,
      core: {
        sendInside: (peer, packet, via) => engine.sendInside(peer, packet, via),
        session: (peer) => engine.device.peerStats(peer),
        setPersistentKeepalive: (peer, s) =>
          engine.device.updatePeer(peer, { persistentKeepaliveSeconds: s }),
        relayInput: (peer, data) => engine.input(data, RELAY_ENDPOINT, { arrival: { path: "relay", peer } }),
      },
      settings: this.o.settings,
      counters: this.o.counters,
      onPathChanged: (path) => this.o.onPathChanged(info.cluster, path),
    });
    endpoint.setCandidates(info.endpoints);
    engine.device.addPeer({
      name: info.cluster,
      publicKey: keyFromBase64(info.publicKey),
      // The core only emits sends for a peer with an endpoint; where they go is decided by
      // the PeerEndpoint anyway, so any candidate (or the relay marker) will do.
      endpoint: usableCandidates(info.endpoints, this.o.conn.endpoints())[0] ?? RELAY_ENDPOINT,
      allowedIps: [`${info.meshIp}/32`],
      persistentKeepaliveSeconds: 0, // armed by the PeerEndpoint after the glare wait
    });
    this.peers.set(info.cluster, { info, endpoint });
    endpoint.restartRelay();
    this.o.log.info("peer added", {
      peer: info.cluster,
      meshIp: info.meshIp,
      candidates: info.endpoints.length,
    });
    this.o.onAdded(info.cluster);
  }

  private remove(name: string, p: Peer, announce: boolean): void {
    p.endpoint.stop();
    this.o.engine.device.removePeer(name);
    this.peers.delete(name);
    if (!announce) return;
    this.o.log.info("peer removed", { peer: name });
    this.o.onRemoved(name);
  }

  statuses(): AgentPeerStatus[] {
    const now = this.o.clock.now();
    return [...this.peers.values()].map(({ info, endpoint }) => {
      const s = this.o.engine.device.peerStats(info.cluster);
      const snap = endpoint.paths.snapshot(now);
      return {
        cluster: info.cluster,
        meshIp: info.meshIp,
        path: snap.path,
        endpoint: snap.endpoint,
        rttMs: snap.rttMs,
        rxBytes: s.rxBytes,
        txBytes: s.txBytes,
        lastHandshakeAgeSeconds:
          s.lastHandshakeAt === null ? null : Math.max(0, Math.round((now - s.lastHandshakeAt) / 1000)),
        relay: this.o.conn.relayState(info.cluster),
        relayReconnects: this.o.conn.relayReconnects(info.cluster),
        relayPlacement: this.o.conn.relayPlacement(info.cluster),
        switches: snap.switches,
        online: info.online,
      };
    });
  }
}
