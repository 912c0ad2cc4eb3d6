import type { Endpoint, Millis } from "./actions.ts";
import type { CookieGenerator } from "./cookie.ts";
import type { RemoteStatic } from "./handshake.ts";
import type { Keypair } from "./keypair.ts";
import type { InitiatorHandshake } from "./noise.ts";

/** What a peer's handshake slot holds between an initiation and its response. */
export interface PendingInitiation {
  localIndex: number;
  state: InitiatorHandshake;
}

/**
 * Mutable per-peer state. Timer fields hold absolute deadlines (null = not
 * armed) named after wireguard-go's timers; the Device evaluates them.
 */
export class PeerState {
  endpoint: Endpoint | null;
  presharedKey: Uint8Array;
  persistentKeepaliveMs: number;

  pending: PendingInitiation | null = null;
  current: Keypair | null = null;
  previous: Keypair | null = null;
  next: Keypair | null = null;

  /** Greatest TAI64N accepted from this peer; initiations must exceed it. */
  lastTimestamp: Uint8Array = new Uint8Array(12);
  lastInitiationConsumedAt: Millis | null = null;
  lastSentHandshakeAt: Millis | null = null;
  /** Retries in the current run of handshake attempts (reset by any non-retry attempt). */
  handshakeRetries = 0;
  sentLastMinuteHandshake = false;
  needAnotherKeepalive = false;
  /** Set when persistent keepalive is switched on: the next updateTimers sends one at once. */
  keepaliveKick = false;

  retransmitAt: Millis | null = null;
  sendKeepaliveAt: Millis | null = null;
  newHandshakeAt: Millis | null = null;
  zeroKeysAt: Millis | null = null;
  persistentKeepaliveAt: Millis | null = null;

  readonly queue: Uint8Array[] = [];
  lastHandshakeAt: Millis | null = null;
  rxBytes = 0;
  txBytes = 0;

  constructor(
    readonly name: string,
    readonly remote: RemoteStatic,
    readonly cookies: CookieGenerator,
    endpoint: Endpoint | undefined,
    presharedKey: Uint8Array,
    persistentKeepaliveSeconds: number,
  ) {
    this.endpoint = endpoint ?? null;
    this.presharedKey = presharedKey;
    this.persistentKeepaliveMs = persistentKeepaliveSeconds * 1000;
  }
}
