/**
 * A sans-I/O WireGuard device: peers, handshakes, transport and timers.
 * Every entry point takes `now` and returns Actions; nothing here touches a
 * socket or a clock, so the driver decides how datagrams travel.
 */
import type { Action, DropReason, Endpoint, Millis } from "./actions.ts";
import { AllowedIps } from "./allowed-ips.ts";
import { constantTimeEqual } from "./bytes.ts";
import {
  HANDSHAKE_BURST,
  HANDSHAKES_PER_SECOND,
  INITIATION_MIN_INTERVAL,
  KEEPALIVE_TIMEOUT,
  MAX_HANDSHAKE_RETRIES,
  MAX_QUEUED_PACKETS,
  REJECT_AFTER_MESSAGES_HI,
  REJECT_AFTER_MESSAGES_LO,
  REJECT_AFTER_TIME,
  REKEY_AFTER_MESSAGES_HI,
  REKEY_AFTER_TIME,
  REKEY_ON_RECEIVE_AGE,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
  ZERO_KEYS_AFTER,
} from "./constants.ts";
import { CookieChecker, CookieGenerator } from "./cookie.ts";
import type { CryptoBackend } from "./crypto/backend.ts";
import { createNodeCryptoBackend } from "./crypto/node-crypto.ts";
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  type LocalStatic,
  wireguardInitialState,
} from "./handshake.ts";
import { IPV4_HEADER_MIN, ipv4Destination, ipv4Source, ipv4TotalLength, ipv4Version } from "./ipv4.ts";
import { Keypair } from "./keypair.ts";
import {
  classify,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE_RECEIVER_OFFSET,
  readU32,
  TRANSPORT_HEADER_SIZE,
  writeU32,
} from "./messages.ts";
import { paddedLength } from "./padding.ts";
import { PeerState } from "./peer.ts";
import { createRandomPool } from "./random-pool.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { compareTai64n, encodeTai64n, nextTai64n } from "./tai64n.ts";

export interface PeerConfig {
  /** Stable id used in actions (e.g. cluster name or base64 public key). */
  name: string;
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  /** Initial endpoint; without one the peer is responder-only until it is heard from. */
  endpoint?: Endpoint;
  /** IPv4 CIDRs ("100.64.0.2/32", "0.0.0.0/0"). */
  allowedIps: string[];
  /** 0/undefined = off. */
  persistentKeepaliveSeconds?: number;
}

export interface DeviceConfig {
  privateKey: Uint8Array;
  /** Default: the node:crypto backend. */
  crypto?: CryptoBackend;
  /** Default: crypto.randomBytes in pooled batches (random-pool.ts); injectable for deterministic tests. */
  random?: (n: number) => Uint8Array;
  /** Default: under load while more than UNDER_LOAD_HANDSHAKES handshake messages arrive per second. */
  underLoad?: () => boolean;
  /** Wall clock for TAI64N timestamps (ms since the Unix epoch). Default Date.now. */
  wallClock?: () => number;
  /** The tunnel MTU: padding never takes a packet past it. Default 1420, as wireguard-go. */
  mtu?: number;
}

export interface PeerStats {
  lastHandshakeAt: Millis | null;
  rxBytes: number;
  txBytes: number;
  endpoint: Endpoint | null;
  hasSession: boolean;
}

/** Handshake messages per second beyond which the device asks for cookies. */
export const UNDER_LOAD_HANDSHAKES = 256;
const UNDER_LOAD_HOLD = 1_000;
const EMPTY = new Uint8Array(0);
const TWO_32 = 4294967296;
const TWO_53_HI = 0x200000;
const MAX_DATAGRAM = 65_535;
const DEFAULT_MTU = 1420;
/** Big enough to amortise the allocation over ~40 full-size packets, small enough that one held datagram pins little. */
const SLAB_BYTES = 64 * 1024;

interface IndexEntry {
  peer: PeerState;
  /** null while the index belongs to a pending initiation. */
  keypair: Keypair | null;
}

export class Device {
  readonly publicKey: Uint8Array;
  private readonly crypto: CryptoBackend;
  private readonly random: (n: number) => Uint8Array;
  private readonly underLoadHook: (() => boolean) | undefined;
  private readonly wallClock: () => number;
  private mtu: number;
  private readonly local: LocalStatic;
  private readonly peers = new Map<string, PeerState>();
  private readonly peersByKey = new Map<string, PeerState>();
  private readonly indices = new Map<number, IndexEntry>();
  private readonly routes = new AllowedIps();
  private readonly cookieChecker: CookieChecker;
  private readonly rateLimiter = new RateLimiter(HANDSHAKES_PER_SECOND, HANDSHAKE_BURST);
  private readonly dropCounts = new Map<DropReason, number>();
  /** Padding happens here; sealing copies out of it, so it is never handed to the driver. */
  private readonly padScratch = new Uint8Array(MAX_DATAGRAM + 16);
  private padView: Uint8Array = this.padScratch.subarray(0, 0);
  /**
   * Outgoing datagrams are carved from this slab: one ArrayBuffer per packet
   * costs more than the AEAD itself. A slab is never rewound, only replaced
   * when full, so a datagram the driver still holds is never overwritten.
   * Slabs are uninitialised like Node's own Buffer pool (zero-filling 64 KiB
   * cost ~0.3 us per packet); seal() writes every byte of each view.
   */
  private slab = new ArrayBuffer(0);
  private slabAt = 0;
  private lastTimestamp: Uint8Array = new Uint8Array(12);
  private randomPool: Uint8Array = new Uint8Array(0);
  private randomAt = 0;
  private loadWindowStart = Number.NEGATIVE_INFINITY;
  private loadCount = 0;
  private underLoadUntil = Number.NEGATIVE_INFINITY;

  constructor(config: DeviceConfig) {
    if (config.privateKey.length !== 32) throw new Error("privateKey must be 32 bytes");
    this.crypto = config.crypto ?? createNodeCryptoBackend();
    this.random = config.random ?? createRandomPool();
    this.underLoadHook = config.underLoad;
    this.wallClock = config.wallClock ?? Date.now;
    this.mtu = checkedMtu(config.mtu ?? DEFAULT_MTU);
    const privateKey = new Uint8Array(config.privateKey);
    this.publicKey = this.crypto.x25519PublicKey(privateKey);
    this.local = {
      privateKey,
      publicKey: this.publicKey,
      start: wireguardInitialState(this.crypto, this.publicKey),
    };
    this.cookieChecker = new CookieChecker(this.crypto, this.publicKey, this.random);
  }

  get drops(): ReadonlyMap<DropReason, number> {
    return this.dropCounts;
  }

  // ---------------------------------------------------------------- peers

  /** A new tunnel MTU (agent values change it live): later packets are padded up to it at most. */
  setMtu(mtu: number): void {
    this.mtu = checkedMtu(mtu);
  }

  addPeer(p: PeerConfig): void {
    if (this.peers.has(p.name)) throw new Error(`peer "${p.name}" already exists`);
    if (p.publicKey.length !== 32) throw new Error(`peer "${p.name}": publicKey must be 32 bytes`);
    if (p.presharedKey !== undefined && p.presharedKey.length !== 32)
      throw new Error(`peer "${p.name}": presharedKey must be 32 bytes`);
    if (constantTimeEqual(p.publicKey, this.publicKey))
      throw new Error(`peer "${p.name}": that is this device's own key`);
    const keyId = keyIdOf(p.publicKey);
    if (this.peersByKey.has(keyId))
      throw new Error(`peer "${p.name}": public key already used by another peer`);
    const keepalive = p.persistentKeepaliveSeconds ?? 0;
    if (!(keepalive >= 0 && keepalive <= 65535))
      throw new Error(`peer "${p.name}": bad persistent keepalive`);
    this.routes.set(p.name, p.allowedIps);
    const publicKey = new Uint8Array(p.publicKey);
    const peer = new PeerState(
      p.name,
      {
        publicKey,
        start: wireguardInitialState(this.crypto, publicKey),
        staticStatic: this.crypto.x25519(this.local.privateKey, publicKey),
      },
      new CookieGenerator(this.crypto, publicKey),
      p.endpoint,
      new Uint8Array(p.presharedKey ?? new Uint8Array(32)),
      keepalive,
    );
    peer.keepaliveKick = keepalive > 0;
    this.peers.set(p.name, peer);
    this.peersByKey.set(keyId, peer);
  }

  removePeer(name: string): void {
    const peer = this.peers.get(name);
    if (peer === undefined) return;
    this.zeroKeys(peer);
    this.routes.remove(name);
    this.peers.delete(name);
    this.peersByKey.delete(keyIdOf(peer.remote.publicKey));
  }

  setPeerEndpoint(name: string, e: Endpoint): void {
    this.mustPeer(name).endpoint = { host: e.host, port: e.port };
  }

  updatePeer(
    name: string,
    partial: { persistentKeepaliveSeconds?: number; allowedIps?: string[]; presharedKey?: Uint8Array },
  ): void {
    const peer = this.mustPeer(name);
    if (partial.presharedKey !== undefined && partial.presharedKey.length !== 32)
      throw new Error(`peer "${name}": presharedKey must be 32 bytes`);
    if (partial.allowedIps !== undefined) this.routes.set(name, partial.allowedIps);
    if (partial.presharedKey !== undefined) peer.presharedKey = new Uint8Array(partial.presharedKey);
    if (partial.persistentKeepaliveSeconds !== undefined) {
      const was = peer.persistentKeepaliveMs;
      peer.persistentKeepaliveMs = partial.persistentKeepaliveSeconds * 1000;
      // Like wg set: switching keepalive on sends one at once to open NAT state.
      if (was === 0 && peer.persistentKeepaliveMs > 0) peer.keepaliveKick = true;
      if (peer.persistentKeepaliveMs === 0) peer.persistentKeepaliveAt = null;
    }
  }

  peerStats(name: string): PeerStats {
    const peer = this.mustPeer(name);
    return {
      lastHandshakeAt: peer.lastHandshakeAt,
      rxBytes: peer.rxBytes,
      txBytes: peer.txBytes,
      endpoint: peer.endpoint,
      hasSession: peer.current !== null || peer.next !== null,
    };
  }

  // ---------------------------------------------------------------- outbound

  encapsulate(packet: Uint8Array, now: Millis): Action[] {
    const actions: Action[] = [];
    if (packet.length < IPV4_HEADER_MIN || packet.length > MAX_DATAGRAM) {
      this.drop(actions, "inner-bad-length");
      return actions;
    }
    if (ipv4Version(packet) !== 4) {
      this.drop(actions, "inner-not-ipv4");
      return actions;
    }
    const name = this.routes.lookup(ipv4Destination(packet));
    const peer = name === undefined ? undefined : this.peers.get(name);
    if (peer === undefined) {
      this.drop(actions, "no-route");
      return actions;
    }
    this.sendData(peer, packet, now, actions);
    return actions;
  }

  encapsulateTo(peerName: string, packet: Uint8Array, now: Millis): Action[] {
    const actions: Action[] = [];
    const peer = this.peers.get(peerName);
    if (peer === undefined) this.drop(actions, "unknown-peer");
    else if (packet.length > MAX_DATAGRAM) this.drop(actions, "inner-bad-length", peerName);
    else this.sendData(peer, packet, now, actions);
    return actions;
  }

  initiateHandshake(peerName: string, now: Millis): Action[] {
    const actions: Action[] = [];
    this.sendInitiation(this.mustPeer(peerName), now, false, actions);
    return actions;
  }

  // ---------------------------------------------------------------- inbound

  decapsulate(datagram: Uint8Array, from: Endpoint, now: Millis): Action[] {
    const actions: Action[] = [];
    const kind = classify(datagram);
    if (typeof kind === "string") this.drop(actions, kind);
    else if (kind === MESSAGE_INITIATION || kind === MESSAGE_RESPONSE) {
      if (this.admitHandshake(datagram, from, now, actions)) {
        if (kind === MESSAGE_INITIATION) this.receiveInitiation(datagram, from, now, actions);
        else this.receiveResponse(datagram, from, now, actions);
      }
    } else if (kind === MESSAGE_COOKIE_REPLY) this.receiveCookieReply(datagram, now, actions);
    else this.receiveTransport(datagram, from, now, actions);
    return actions;
  }

  // ---------------------------------------------------------------- timers

  updateTimers(now: Millis): Action[] {
    const actions: Action[] = [];
    for (const peer of this.peers.values()) {
      if (peer.retransmitAt !== null && now >= peer.retransmitAt) {
        peer.retransmitAt = null;
        if (peer.handshakeRetries >= MAX_HANDSHAKE_RETRIES) this.giveUp(peer, now);
        else {
          peer.handshakeRetries++;
          this.sendInitiation(peer, now, true, actions);
        }
      }
      if (peer.sendKeepaliveAt !== null && now >= peer.sendKeepaliveAt) {
        peer.sendKeepaliveAt = null;
        this.sendKeepalive(peer, now, actions);
        if (peer.needAnotherKeepalive) {
          peer.needAnotherKeepalive = false;
          peer.sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
        }
      }
      if (peer.newHandshakeAt !== null && now >= peer.newHandshakeAt) {
        // Data went out but nothing came back for 15 s: the session may be dead on the other side.
        peer.newHandshakeAt = null;
        this.sendInitiation(peer, now, false, actions);
      }
      if (peer.zeroKeysAt !== null && now >= peer.zeroKeysAt) {
        peer.zeroKeysAt = null;
        this.zeroKeys(peer);
        actions.push({ type: "session-expired", peer: peer.name });
      }
      if (peer.keepaliveKick) {
        peer.keepaliveKick = false;
        if (peer.persistentKeepaliveMs > 0) this.sendKeepalive(peer, now, actions);
      } else if (peer.persistentKeepaliveAt !== null && now >= peer.persistentKeepaliveAt) {
        peer.persistentKeepaliveAt = null;
        if (peer.persistentKeepaliveMs > 0) this.sendKeepalive(peer, now, actions);
      }
    }
    return actions;
  }

  // ---------------------------------------------------------------- internals: handshakes

  /** mac1, then (under load) mac2 and the per-source rate limit. */
  private admitHandshake(datagram: Uint8Array, from: Endpoint, now: Millis, actions: Action[]): boolean {
    if (!this.cookieChecker.checkMac1(datagram)) {
      this.drop(actions, "bad-mac1");
      return false;
    }
    if (!this.isUnderLoad(now)) return true;
    const mac2 = this.cookieChecker.checkMac2(datagram, from, now);
    if (mac2 !== "valid") {
      // The reply is the only output; the drop is still counted for operators.
      this.count(mac2 === "missing" ? "under-load-no-cookie" : "bad-mac2");
      const sender = readU32(datagram, 4);
      const data = this.cookieChecker.createReply(datagram, sender, from, now);
      actions.push({ type: "send", peer: "", endpoint: from, data });
      return false;
    }
    if (!this.rateLimiter.allow(from.host, now)) {
      this.drop(actions, "rate-limited");
      return false;
    }
    return true;
  }

  private isUnderLoad(now: Millis): boolean {
    if (this.underLoadHook !== undefined) return this.underLoadHook();
    if (now - this.loadWindowStart >= 1_000) {
      this.loadWindowStart = now;
      this.loadCount = 0;
    }
    if (++this.loadCount > UNDER_LOAD_HANDSHAKES) this.underLoadUntil = now + UNDER_LOAD_HOLD;
    return now < this.underLoadUntil;
  }

  private receiveInitiation(datagram: Uint8Array, from: Endpoint, now: Millis, actions: Action[]): void {
    const consumed = consumeInitiation(this.crypto, this.local, datagram, (key) => {
      const peer = this.peersByKey.get(keyIdOf(key));
      return peer === undefined ? undefined : { peer, staticStatic: peer.remote.staticStatic };
    });
    if (typeof consumed === "string") {
      this.drop(actions, consumed);
      return;
    }
    const peer = consumed.peer;
    if (compareTai64n(consumed.timestamp, peer.lastTimestamp) <= 0) {
      this.drop(actions, "replayed-timestamp", peer.name);
      return;
    }
    if (
      peer.lastInitiationConsumedAt !== null &&
      now - peer.lastInitiationConsumedAt < INITIATION_MIN_INTERVAL
    ) {
      this.drop(actions, "initiation-flood", peer.name);
      return;
    }
    const localIndex = this.newIndex();
    const ephemeral = this.random(32);
    const response = createResponse(
      this.crypto,
      consumed.state,
      ephemeral,
      peer.presharedKey,
      localIndex,
      consumed.senderIndex,
    );
    this.eraseSecret(ephemeral);
    consumed.state.chainKey.fill(0);
    if (typeof response === "string") {
      this.drop(actions, response, peer.name);
      return;
    }
    peer.lastTimestamp = consumed.timestamp;
    peer.lastInitiationConsumedAt = now;
    peer.cookies.addMacs(response.message, now);

    // Our own initiation in flight (if any) is superseded by theirs.
    this.clearPending(peer);
    const keypair = new Keypair(
      response.keys.sendKey,
      response.keys.receiveKey,
      localIndex,
      consumed.senderIndex,
      now,
      false,
    );
    this.indices.set(localIndex, { peer, keypair });
    this.beginSession(peer, keypair);
    this.roam(peer, from, actions);
    peer.rxBytes += datagram.length;
    peer.zeroKeysAt = now + ZERO_KEYS_AFTER;
    this.authenticatedTraversal(peer, now);
    // An authenticated packet arrived: the "sent data, heard nothing" timer has its answer.
    peer.newHandshakeAt = null;
    // Our response is a handshake sent: no initiation of ours within REKEY_TIMEOUT of it.
    peer.lastSentHandshakeAt = now;
    peer.sendKeepaliveAt = null;
    peer.txBytes += response.message.length;
    actions.push({ type: "send", peer: peer.name, endpoint: from, data: response.message });
  }

  private receiveResponse(datagram: Uint8Array, from: Endpoint, now: Millis, actions: Action[]): void {
    const receiver = readU32(datagram, RESPONSE_RECEIVER_OFFSET);
    const entry = this.indices.get(receiver);
    if (entry === undefined) {
      this.drop(actions, "unknown-receiver");
      return;
    }
    const peer = entry.peer;
    const pending = peer.pending;
    if (entry.keypair !== null || pending === null || pending.localIndex !== receiver) {
      this.drop(actions, "unexpected-response", peer.name);
      return;
    }
    const consumed = consumeResponse(this.crypto, this.local, pending.state, peer.presharedKey, datagram);
    if (typeof consumed === "string") {
      this.drop(actions, consumed, peer.name);
      return;
    }
    this.clearPending(peer);
    const keypair = new Keypair(
      consumed.keys.sendKey,
      consumed.keys.receiveKey,
      receiver,
      consumed.senderIndex,
      now,
      true,
    );
    this.indices.set(receiver, { peer, keypair });
    this.roam(peer, from, actions);
    peer.rxBytes += datagram.length;
    this.authenticatedTraversal(peer, now);
    peer.newHandshakeAt = null;
    this.beginSession(peer, keypair);
    peer.zeroKeysAt = now + ZERO_KEYS_AFTER;
    this.handshakeComplete(peer, now);
    actions.push({ type: "handshake-complete", peer: peer.name, role: "initiator" });
    // Key confirmation: the responder only trusts the keys once it sees data on them.
    this.sendKeepalive(peer, now, actions);
  }

  private receiveCookieReply(datagram: Uint8Array, now: Millis, actions: Action[]): void {
    const entry = this.indices.get(readU32(datagram, 4));
    if (entry === undefined) {
      this.drop(actions, "unknown-receiver");
      return;
    }
    if (!entry.peer.cookies.consumeReply(datagram, now))
      this.drop(actions, "cookie-decrypt-failed", entry.peer.name);
    // The retransmit timer sends the next initiation, now carrying mac2.
  }

  private sendInitiation(peer: PeerState, now: Millis, isRetry: boolean, actions: Action[]): void {
    if (!isRetry) peer.handshakeRetries = 0;
    if (peer.lastSentHandshakeAt !== null && now - peer.lastSentHandshakeAt < REKEY_TIMEOUT) return;
    peer.lastSentHandshakeAt = now;
    const localIndex = this.newIndex();
    const ephemeral = this.random(32);
    const created = createInitiation(
      this.crypto,
      this.local,
      peer.remote,
      ephemeral,
      localIndex,
      this.nextTimestamp(),
    );
    if (typeof created === "string") {
      this.eraseSecret(ephemeral);
      this.drop(actions, created, peer.name);
      return;
    }
    peer.cookies.addMacs(created.message, now);
    this.clearPending(peer);
    peer.pending = { localIndex, state: created.state };
    this.indices.set(localIndex, { peer, keypair: null });
    this.authenticatedTraversal(peer, now);
    peer.sendKeepaliveAt = null;
    peer.retransmitAt = now + REKEY_TIMEOUT + this.jitter();
    if (peer.endpoint !== null) {
      peer.txBytes += created.message.length;
      actions.push({ type: "send", peer: peer.name, endpoint: peer.endpoint, data: created.message });
    }
  }

  /** Our TAI64N must rise even if the wall clock stalls or steps back within a run. */
  private nextTimestamp(): Uint8Array {
    let t = encodeTai64n(this.wallClock());
    if (compareTai64n(t, this.lastTimestamp) <= 0) t = nextTai64n(this.lastTimestamp);
    this.lastTimestamp = t;
    return t;
  }

  private handshakeComplete(peer: PeerState, now: Millis): void {
    peer.retransmitAt = null;
    peer.handshakeRetries = 0;
    peer.sentLastMinuteHandshake = false;
    peer.lastHandshakeAt = now;
  }

  /** Rotates keypairs the way wireguard-go does: the responder parks new keys in `next` until confirmed. */
  private beginSession(peer: PeerState, keypair: Keypair): void {
    if (keypair.isInitiator) {
      if (peer.next !== null) {
        this.deleteKeypair(peer.previous);
        peer.previous = peer.next;
        peer.next = null;
        this.deleteKeypair(peer.current);
      } else {
        this.deleteKeypair(peer.previous);
        peer.previous = peer.current;
      }
      peer.current = keypair;
    } else {
      this.deleteKeypair(peer.next);
      this.deleteKeypair(peer.previous);
      peer.previous = null;
      peer.next = keypair;
    }
  }

  /**
   * Retries exhausted: drop what waits for a session, but keep the keys. A session that is still
   * valid goes on working when the peer comes back; the 540 s wipe ends it otherwise.
   */
  private giveUp(peer: PeerState, now: Millis): void {
    peer.sendKeepaliveAt = null;
    this.dropQueue(peer);
    if (peer.zeroKeysAt === null) peer.zeroKeysAt = now + ZERO_KEYS_AFTER;
  }

  private dropQueue(peer: PeerState): void {
    for (let i = 0; i < peer.queue.length; i++) this.count("no-session");
    peer.queue.length = 0;
  }

  private zeroKeys(peer: PeerState): void {
    this.dropQueue(peer);
    this.clearPending(peer);
    this.deleteKeypair(peer.previous);
    this.deleteKeypair(peer.current);
    this.deleteKeypair(peer.next);
    peer.previous = peer.current = peer.next = null;
    peer.retransmitAt = null;
    peer.newHandshakeAt = null;
    peer.sendKeepaliveAt = null;
    peer.zeroKeysAt = null;
  }

  private clearPending(peer: PeerState): void {
    if (peer.pending === null) return;
    this.indices.delete(peer.pending.localIndex);
    this.eraseSecret(peer.pending.state.ephemeralPrivate);
    peer.pending.state.chainKey.fill(0);
    peer.pending = null;
  }

  /** Ephemeral keys must not outlive their handshake, in our arrays or in backend caches. */
  private eraseSecret(privateKey: Uint8Array): void {
    this.crypto.forgetPrivateKey?.(privateKey);
    privateKey.fill(0);
  }

  private deleteKeypair(k: Keypair | null): void {
    if (k === null) return;
    this.indices.delete(k.localIndex);
    k.zero();
  }

  private newIndex(): number {
    for (;;) {
      const index = this.pooledRandom(4);
      if (!this.indices.has(index)) return index;
    }
  }

  /** 0..333 ms. */
  private jitter(): number {
    return this.pooledRandom(2) % REKEY_TIMEOUT_JITTER_MAX;
  }

  /**
   * Indices and jitter need unpredictability, not secrecy, and come often, so
   * they are drawn from a refilled 256-byte pool instead of one call each.
   */
  private pooledRandom(bytes: 2 | 4): number {
    if (this.randomAt + bytes > this.randomPool.length) {
      this.randomPool = this.random(256);
      this.randomAt = 0;
    }
    const p = this.randomPool;
    const i = this.randomAt;
    this.randomAt += bytes;
    return bytes === 2 ? (p[i]! << 8) | p[i + 1]! : readU32(p, i);
  }

  // ---------------------------------------------------------------- internals: transport

  private usable(k: Keypair | null, now: Millis): k is Keypair {
    return (
      k !== null &&
      now - k.createdAt < REJECT_AFTER_TIME &&
      (k.sendHi !== REJECT_AFTER_MESSAGES_HI || k.sendLo < REJECT_AFTER_MESSAGES_LO)
    );
  }

  private sendData(peer: PeerState, packet: Uint8Array, now: Millis, actions: Action[]): void {
    const keypair = peer.current;
    if (peer.queue.length === 0 && peer.endpoint !== null && this.usable(keypair, now)) {
      this.seal(peer, keypair, packet, now, actions);
      this.keepKeyFreshSending(peer, keypair, now, actions);
      return;
    }
    if (peer.queue.length >= MAX_QUEUED_PACKETS) {
      peer.queue.shift();
      this.count("no-session");
    }
    // Copy: the caller may reuse its buffer before the session exists.
    peer.queue.push(packet.slice());
    if (this.usable(keypair, now)) this.flushQueue(peer, now, actions);
    else this.sendInitiation(peer, now, false, actions);
  }

  private sendKeepalive(peer: PeerState, now: Millis, actions: Action[]): void {
    if (peer.queue.length === 0) this.sendData(peer, EMPTY, now, actions);
    else this.flushQueue(peer, now, actions);
  }

  private flushQueue(peer: PeerState, now: Millis, actions: Action[]): void {
    const keypair = peer.current;
    if (peer.queue.length === 0 || peer.endpoint === null) return;
    if (!this.usable(keypair, now)) {
      this.sendInitiation(peer, now, false, actions);
      return;
    }
    let sent = 0;
    while (sent < peer.queue.length && this.usable(keypair, now))
      this.seal(peer, keypair, peer.queue[sent++]!, now, actions);
    peer.queue.splice(0, sent);
    // Counters ran out mid-queue: the rest waits for the new session.
    if (peer.queue.length > 0) this.sendInitiation(peer, now, false, actions);
    else this.keepKeyFreshSending(peer, keypair, now, actions);
  }

  /** Either side rekeys once the next counter passes 2^60; only the initiator rekeys by age. */
  private keepKeyFreshSending(peer: PeerState, keypair: Keypair, now: Millis, actions: Action[]): void {
    const hi = keypair.sendHi;
    if (
      hi > REKEY_AFTER_MESSAGES_HI ||
      (hi === REKEY_AFTER_MESSAGES_HI && keypair.sendLo > 0) ||
      (keypair.isInitiator && now - keypair.createdAt >= REKEY_AFTER_TIME)
    )
      this.sendInitiation(peer, now, false, actions);
  }

  private seal(peer: PeerState, keypair: Keypair, packet: Uint8Array, now: Millis, actions: Action[]): void {
    const length = packet.length;
    const padded = paddedLength(length, this.mtu);
    let plaintext = packet;
    if (padded !== length) {
      // Same-size packets are the common case: reuse the last view instead of making one per packet.
      if (this.padView.length !== padded) this.padView = this.padScratch.subarray(0, padded);
      plaintext = this.padView;
      plaintext.set(packet);
      plaintext.fill(0, length);
    }
    // The counter is a uint64 in two halves; usable() has already refused the last ones.
    const lo = keypair.sendLo;
    const hi = keypair.sendHi;
    if (lo === 0xffffffff) {
      keypair.sendLo = 0;
      keypair.sendHi = hi + 1;
    } else keypair.sendLo = lo + 1;
    const size = TRANSPORT_HEADER_SIZE + padded + 16;
    const { buffer, byteOffset } = this.carve(size);
    const out = new Uint8Array(buffer, byteOffset, size);
    out[0] = 4;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    writeU32(out, 4, keypair.remoteIndex);
    writeU32(out, 8, lo);
    writeU32(out, 12, hi);
    const counter = hi < TWO_53_HI ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    const body = new Uint8Array(buffer, byteOffset + TRANSPORT_HEADER_SIZE, size - TRANSPORT_HEADER_SIZE);
    this.crypto.aeadSeal(keypair.sendKey, counter, plaintext, EMPTY, body);
    peer.txBytes += out.length;
    actions.push({ type: "send", peer: peer.name, endpoint: peer.endpoint!, data: out });
    this.authenticatedTraversal(peer, now);
    peer.sendKeepaliveAt = null;
    if (length > 0 && peer.newHandshakeAt === null)
      peer.newHandshakeAt = now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + this.jitter();
  }

  /** `size` fresh bytes from the slab (offsets kept 8-aligned). */
  private carve(size: number): { buffer: ArrayBuffer; byteOffset: number } {
    if (this.slabAt + size > this.slab.byteLength) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, size)).buffer;
      this.slabAt = 0;
    }
    const byteOffset = this.slabAt;
    this.slabAt += (size + 7) & ~7;
    return { buffer: this.slab, byteOffset };
  }

  private receiveTransport(datagram: Uint8Array, from: Endpoint, now: Millis, actions: Action[]): void {
    const entry = this.indices.get(readU32(datagram, 4));
    const keypair = entry?.keypair;
    if (entry === undefined || keypair === null || keypair === undefined) {
      this.drop(actions, "unknown-receiver");
      return;
    }
    const peer = entry.peer;
    if (now - keypair.createdAt >= REJECT_AFTER_TIME) {
      this.drop(actions, "key-expired", peer.name);
      return;
    }
    const lo = readU32(datagram, 8);
    const hi = readU32(datagram, 12);
    const counter = hi < TWO_53_HI ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    const plaintext = this.crypto.aeadOpen(
      keypair.receiveKey,
      counter,
      datagram.subarray(TRANSPORT_HEADER_SIZE),
      EMPTY,
    );
    if (plaintext === null) {
      this.drop(actions, "decrypt-failed", peer.name);
      return;
    }
    if (!keypair.replay.accept(hi, lo)) {
      this.drop(actions, "replayed-counter", peer.name);
      return;
    }
    this.roam(peer, from, actions);
    peer.rxBytes += datagram.length;
    if (keypair === peer.next) {
      // Key confirmation: the initiator used the new keys, so they become current.
      this.deleteKeypair(peer.previous);
      peer.previous = peer.current;
      peer.current = keypair;
      peer.next = null;
      this.handshakeComplete(peer, now);
      actions.push({ type: "handshake-complete", peer: peer.name, role: "responder" });
      this.flushQueue(peer, now, actions);
    }
    if (
      !peer.sentLastMinuteHandshake &&
      keypair === peer.current &&
      keypair.isInitiator &&
      now - keypair.createdAt >= REKEY_ON_RECEIVE_AGE
    ) {
      peer.sentLastMinuteHandshake = true;
      this.sendInitiation(peer, now, false, actions);
    }
    this.authenticatedTraversal(peer, now);
    peer.newHandshakeAt = null;
    if (plaintext.length === 0) return; // keepalive
    // Any decrypted data asks for an answer within KEEPALIVE_TIMEOUT, even if it is refused below.
    if (peer.sendKeepaliveAt === null) peer.sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
    else peer.needAnotherKeepalive = true;

    if (plaintext.length < IPV4_HEADER_MIN || ipv4Version(plaintext) !== 4) {
      this.drop(actions, "inner-not-ipv4", peer.name);
      return;
    }
    const total = ipv4TotalLength(plaintext);
    if (total < IPV4_HEADER_MIN || total > plaintext.length) {
      this.drop(actions, "inner-bad-length", peer.name);
      return;
    }
    if (this.routes.lookup(ipv4Source(plaintext)) !== peer.name) {
      this.drop(actions, "disallowed-source", peer.name);
      return;
    }
    actions.push({ type: "deliver", peer: peer.name, packet: plaintext.subarray(0, total) });
  }

  // ---------------------------------------------------------------- internals: misc

  private authenticatedTraversal(peer: PeerState, now: Millis): void {
    if (peer.persistentKeepaliveMs > 0) peer.persistentKeepaliveAt = now + peer.persistentKeepaliveMs;
  }

  /** Only ever called after a packet authenticated, so spoofed sources cannot redirect a peer. */
  private roam(peer: PeerState, from: Endpoint, actions: Action[]): void {
    const e = peer.endpoint;
    if (e !== null && e.host === from.host && e.port === from.port) return;
    peer.endpoint = { host: from.host, port: from.port };
    actions.push({ type: "endpoint-changed", peer: peer.name, endpoint: peer.endpoint });
  }

  private count(reason: DropReason): void {
    this.dropCounts.set(reason, (this.dropCounts.get(reason) ?? 0) + 1);
  }

  private drop(actions: Action[], reason: DropReason, peer?: string): void {
    this.count(reason);
    actions.push(peer === undefined ? { type: "drop", reason } : { type: "drop", reason, peer });
  }

  private mustPeer(name: string): PeerState {
    const peer = this.peers.get(name);
    if (peer === undefined) throw new Error(`unknown peer "${name}"`);
    return peer;
  }
}

function keyIdOf(key: Uint8Array): string {
  return Buffer.from(key).toString("base64");
}

function checkedMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > MAX_DATAGRAM)
    throw new Error(`mtu must be an integer from 68 to ${MAX_DATAGRAM}, got ${mtu}`);
  return mtu;
}
