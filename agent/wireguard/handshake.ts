/**
 * WireGuard's handshake messages on top of the generic Noise core: framing,
 * indices and the TAI64N payload. MACs are added by the caller (they depend
 * on cookie state), so every builder leaves the last 32 bytes zero.
 */
import { CONSTRUCTION, IDENTIFIER } from "./constants.ts";
import type { CryptoBackend } from "./crypto/backend.ts";
import {
  INITIATION_NOISE_OFFSET,
  INITIATION_SIZE,
  MAC_LENGTH,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE_NOISE_OFFSET,
  RESPONSE_SIZE,
  readU32,
  writeHeader,
  writeU32,
} from "./messages.ts";
import {
  type InitiatorHandshake,
  initialState,
  type NoiseFailure,
  type ResponderHandshake,
  readInitiation,
  readResponse,
  type SymmetricState,
  type TransportKeys,
  writeInitiation,
  writeResponse,
} from "./noise.ts";
import { TAI64N_LENGTH } from "./tai64n.ts";

const EMPTY = new Uint8Array(0);

/** The Noise state before any message, specific to the responder's static key. */
export function wireguardInitialState(crypto: CryptoBackend, responderPublic: Uint8Array): SymmetricState {
  return initialState(crypto, CONSTRUCTION, IDENTIFIER, responderPublic);
}

export interface LocalStatic {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  /** wireguardInitialState for our own public key: what initiators start from. */
  start: SymmetricState;
}

export interface RemoteStatic {
  publicKey: Uint8Array;
  start: SymmetricState;
  staticStatic: Uint8Array | null;
}

export function createInitiation(
  crypto: CryptoBackend,
  local: LocalStatic,
  remote: RemoteStatic,
  ephemeralPrivate: Uint8Array,
  senderIndex: number,
  timestamp: Uint8Array,
): { message: Uint8Array; state: InitiatorHandshake } | NoiseFailure {
  if (remote.staticStatic === null) return "zero-dh";
  const message = new Uint8Array(INITIATION_SIZE);
  writeHeader(message, MESSAGE_INITIATION);
  writeU32(message, 4, senderIndex);
  const state = writeInitiation(
    crypto,
    {
      start: remote.start,
      localStaticPrivate: local.privateKey,
      localStaticPublic: local.publicKey,
      remoteStatic: remote.publicKey,
      ephemeralPrivate,
      staticStatic: remote.staticStatic,
    },
    timestamp,
    message.subarray(INITIATION_NOISE_OFFSET, INITIATION_SIZE - 2 * MAC_LENGTH),
  );
  return typeof state === "string" ? state : { message, state };
}

export interface ConsumedInitiation<P> {
  peer: P;
  senderIndex: number;
  timestamp: Uint8Array;
  state: ResponderHandshake;
}

/** Decrypts an initiation; `findPeer` maps the initiator's static key to a known peer. */
export function consumeInitiation<P>(
  crypto: CryptoBackend,
  local: LocalStatic,
  message: Uint8Array,
  findPeer: (publicKey: Uint8Array) => { peer: P; staticStatic: Uint8Array | null } | undefined,
): ConsumedInitiation<P> | NoiseFailure {
  let found: { peer: P; staticStatic: Uint8Array | null } | undefined;
  let zero = false;
  const state = readInitiation(
    crypto,
    {
      start: local.start,
      localStaticPrivate: local.privateKey,
      lookup: (rs) => {
        found = findPeer(rs);
        if (found === undefined) return undefined;
        if (found.staticStatic === null) {
          zero = true;
          return undefined;
        }
        return { staticStatic: found.staticStatic };
      },
    },
    message.subarray(INITIATION_NOISE_OFFSET, INITIATION_SIZE - 2 * MAC_LENGTH),
  );
  if (zero) return "zero-dh";
  if (typeof state === "string") return state;
  if (found === undefined || state.payload.length !== TAI64N_LENGTH) return "handshake-decrypt-failed";
  return { peer: found.peer, senderIndex: readU32(message, 4), timestamp: state.payload, state };
}

export function createResponse(
  crypto: CryptoBackend,
  state: ResponderHandshake,
  ephemeralPrivate: Uint8Array,
  psk: Uint8Array,
  senderIndex: number,
  receiverIndex: number,
): { message: Uint8Array; keys: TransportKeys } | NoiseFailure {
  const message = new Uint8Array(RESPONSE_SIZE);
  writeHeader(message, MESSAGE_RESPONSE);
  writeU32(message, 4, senderIndex);
  writeU32(message, 8, receiverIndex);
  const keys = writeResponse(
    crypto,
    state,
    ephemeralPrivate,
    psk,
    EMPTY,
    message.subarray(RESPONSE_NOISE_OFFSET, RESPONSE_SIZE - 2 * MAC_LENGTH),
  );
  return typeof keys === "string" ? keys : { message, keys };
}

export function consumeResponse(
  crypto: CryptoBackend,
  local: LocalStatic,
  state: InitiatorHandshake,
  psk: Uint8Array,
  message: Uint8Array,
): { senderIndex: number; keys: TransportKeys } | NoiseFailure {
  const keys = readResponse(
    crypto,
    state,
    local.privateKey,
    psk,
    message.subarray(RESPONSE_NOISE_OFFSET, RESPONSE_SIZE - 2 * MAC_LENGTH),
  );
  if (typeof keys === "string") return keys;
  if (keys.payload.length !== 0) return "handshake-decrypt-failed";
  return { senderIndex: readU32(message, 4), keys };
}
