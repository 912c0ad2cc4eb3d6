/**
 * Noise_IKpsk2 (25519, ChaChaPoly, BLAKE2s) with the PSK at position 2, written
 * generically: the protocol name, prologue and payloads are parameters, so the
 * same code runs the published Noise test vectors and WireGuard's handshake
 * (prologue = WireGuard's identifier, payloads = TAI64N timestamp / empty).
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss
 *   <- e, ee, se, psk
 *
 * Functions write into caller-provided views so WireGuard can place the Noise
 * bytes straight into its message buffers. Every failure is a string reason.
 */
import type { CryptoBackend } from "./crypto/backend.ts";
import { kdf1, kdf2, kdf3 } from "./kdf.ts";

export const DH_LENGTH = 32;
export const TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);

export type NoiseFailure = "zero-dh" | "handshake-decrypt-failed" | "unknown-peer";

export interface SymmetricState {
  chainKey: Uint8Array;
  hash: Uint8Array;
}

/** Length of the first message for a payload of `payloadLength` bytes. */
export const initiationLength = (payloadLength: number) =>
  DH_LENGTH + DH_LENGTH + TAG_LENGTH + payloadLength + TAG_LENGTH;
export const responseLength = (payloadLength: number) => DH_LENGTH + payloadLength + TAG_LENGTH;

/**
 * InitializeSymmetric(name) + MixHash(prologue) + MixHash(responder static).
 * Depends only on the responder's key, so callers cache it per responder.
 */
export function initialState(
  crypto: CryptoBackend,
  protocolName: Uint8Array,
  prologue: Uint8Array,
  responderStatic: Uint8Array,
): SymmetricState {
  let h: Uint8Array;
  if (protocolName.length <= 32) {
    h = new Uint8Array(32);
    h.set(protocolName);
  } else {
    h = crypto.hash(protocolName);
  }
  const chainKey = h;
  h = crypto.hash(h, prologue);
  h = crypto.hash(h, responderStatic);
  return { chainKey, hash: h };
}

export interface InitiatorHandshake extends SymmetricState {
  ephemeralPrivate: Uint8Array;
  remoteStatic: Uint8Array;
}

export interface WriteInitiationParams {
  start: SymmetricState;
  localStaticPrivate: Uint8Array;
  localStaticPublic: Uint8Array;
  remoteStatic: Uint8Array;
  ephemeralPrivate: Uint8Array;
  /** DH(local static, remote static) when the caller has it cached. */
  staticStatic?: Uint8Array;
}

/** -> e, es, s, ss, payload. `out` must be exactly initiationLength(payload.length) long. */
export function writeInitiation(
  crypto: CryptoBackend,
  p: WriteInitiationParams,
  payload: Uint8Array,
  out: Uint8Array,
): InitiatorHandshake | NoiseFailure {
  const ePub = crypto.x25519PublicKey(p.ephemeralPrivate);
  out.set(ePub, 0);
  let h = crypto.hash(p.start.hash, ePub);
  let ck = kdf1(crypto, p.start.chainKey, ePub);

  const es = crypto.x25519(p.ephemeralPrivate, p.remoteStatic);
  if (es === null) return "zero-dh";
  let k: Uint8Array;
  [ck, k] = kdf2(crypto, ck, es);
  const encStatic = out.subarray(DH_LENGTH, DH_LENGTH * 2 + TAG_LENGTH);
  crypto.aeadSeal(k, 0, p.localStaticPublic, h, encStatic);
  h = crypto.hash(h, encStatic);

  const ss = p.staticStatic ?? crypto.x25519(p.localStaticPrivate, p.remoteStatic);
  if (ss === null) return "zero-dh";
  [ck, k] = kdf2(crypto, ck, ss);
  const encPayload = out.subarray(DH_LENGTH * 2 + TAG_LENGTH);
  crypto.aeadSeal(k, 0, payload, h, encPayload);
  h = crypto.hash(h, encPayload);
  return { chainKey: ck, hash: h, ephemeralPrivate: p.ephemeralPrivate, remoteStatic: p.remoteStatic };
}

export interface ResponderHandshake extends SymmetricState {
  remoteEphemeral: Uint8Array;
  remoteStatic: Uint8Array;
  payload: Uint8Array;
}

export interface ReadInitiationParams {
  start: SymmetricState;
  localStaticPrivate: Uint8Array;
  /**
   * Called once the initiator's static key is decrypted. Returning undefined
   * aborts (unknown peer) before spending a DH on it; returning an object may
   * supply the cached DH(local static, remote static).
   */
  lookup?: (remoteStatic: Uint8Array) => { staticStatic?: Uint8Array } | undefined;
}

/** Reads a first message produced by writeInitiation. */
export function readInitiation(
  crypto: CryptoBackend,
  p: ReadInitiationParams,
  message: Uint8Array,
): ResponderHandshake | NoiseFailure {
  if (message.length < initiationLength(0)) return "handshake-decrypt-failed";
  const re = message.slice(0, DH_LENGTH);
  let h = crypto.hash(p.start.hash, re);
  let ck = kdf1(crypto, p.start.chainKey, re);

  const es = crypto.x25519(p.localStaticPrivate, re);
  if (es === null) return "zero-dh";
  let k: Uint8Array;
  [ck, k] = kdf2(crypto, ck, es);
  const encStatic = message.subarray(DH_LENGTH, DH_LENGTH * 2 + TAG_LENGTH);
  const rs = crypto.aeadOpen(k, 0, encStatic, h);
  if (rs === null) return "handshake-decrypt-failed";
  const remoteStatic = new Uint8Array(rs);
  h = crypto.hash(h, encStatic);

  let staticStatic: Uint8Array | undefined;
  if (p.lookup !== undefined) {
    const found = p.lookup(remoteStatic);
    if (found === undefined) return "unknown-peer";
    staticStatic = found.staticStatic;
  }
  const ss = staticStatic ?? crypto.x25519(p.localStaticPrivate, remoteStatic);
  if (ss === null) return "zero-dh";
  [ck, k] = kdf2(crypto, ck, ss);
  const encPayload = message.subarray(DH_LENGTH * 2 + TAG_LENGTH);
  const payload = crypto.aeadOpen(k, 0, encPayload, h);
  if (payload === null) return "handshake-decrypt-failed";
  h = crypto.hash(h, encPayload);
  return { chainKey: ck, hash: h, remoteEphemeral: re, remoteStatic, payload: new Uint8Array(payload) };
}

export interface TransportKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  /** The final handshake hash (channel binding). */
  hash: Uint8Array;
}

/** <- e, ee, se, psk, payload. `out` must be exactly responseLength(payload.length) long. */
export function writeResponse(
  crypto: CryptoBackend,
  state: ResponderHandshake,
  ephemeralPrivate: Uint8Array,
  psk: Uint8Array,
  payload: Uint8Array,
  out: Uint8Array,
): TransportKeys | NoiseFailure {
  const ePub = crypto.x25519PublicKey(ephemeralPrivate);
  out.set(ePub, 0);
  let h = crypto.hash(state.hash, ePub);
  let ck = kdf1(crypto, state.chainKey, ePub);
  const ee = crypto.x25519(ephemeralPrivate, state.remoteEphemeral);
  if (ee === null) return "zero-dh";
  ck = kdf1(crypto, ck, ee);
  const se = crypto.x25519(ephemeralPrivate, state.remoteStatic);
  if (se === null) return "zero-dh";
  ck = kdf1(crypto, ck, se);
  const [ck2, tau, k] = kdf3(crypto, ck, psk);
  h = crypto.hash(h, tau);
  const enc = out.subarray(DH_LENGTH);
  crypto.aeadSeal(k, 0, payload, h, enc);
  h = crypto.hash(h, enc);
  const [initiatorSend, responderSend] = kdf2(crypto, ck2, EMPTY);
  return { sendKey: responderSend, receiveKey: initiatorSend, hash: h };
}

/** Reads the second message; returns the payload with the initiator's transport keys. */
export function readResponse(
  crypto: CryptoBackend,
  state: InitiatorHandshake,
  localStaticPrivate: Uint8Array,
  psk: Uint8Array,
  message: Uint8Array,
): (TransportKeys & { payload: Uint8Array }) | NoiseFailure {
  if (message.length < responseLength(0)) return "handshake-decrypt-failed";
  const re = message.subarray(0, DH_LENGTH);
  let h = crypto.hash(state.hash, re);
  let ck = kdf1(crypto, state.chainKey, re);
  const ee = crypto.x25519(state.ephemeralPrivate, re);
  if (ee === null) return "zero-dh";
  ck = kdf1(crypto, ck, ee);
  const se = crypto.x25519(localStaticPrivate, re);
  if (se === null) return "zero-dh";
  ck = kdf1(crypto, ck, se);
  const [ck2, tau, k] = kdf3(crypto, ck, psk);
  h = crypto.hash(h, tau);
  const enc = message.subarray(DH_LENGTH);
  const payload = crypto.aeadOpen(k, 0, enc, h);
  if (payload === null) return "handshake-decrypt-failed";
  h = crypto.hash(h, enc);
  const [initiatorSend, responderSend] = kdf2(crypto, ck2, EMPTY);
  return { sendKey: initiatorSend, receiveKey: responderSend, hash: h, payload: new Uint8Array(payload) };
}
