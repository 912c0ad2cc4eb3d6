/**
 * The sans-I/O WireGuard core. Drivers (the UDP peer, the path manager,
 * tests) feed it datagrams, packets and time, and perform the Actions it returns.
 *
 * Semantics drivers rely on:
 * - `send.data` and `deliver.packet` are never touched by the core again; hold them as long as needed.
 * - Every rejected input increments `drops`. A `drop` action is returned when
 *   nothing else happened; a cookie reply under load is returned as a `send`
 *   (peer "") and counted as "under-load-no-cookie" / "bad-mac2" without a drop action.
 * - `handshake-complete` fires for the initiator when the response is consumed,
 *   and for the responder when the first transport packet confirms the keys.
 * - `endpoint-changed` fires only after an authenticated packet (handshake or
 *   transport) from a new source, including the first time a responder-only peer is heard from.
 * - `session-expired` fires when keys are zeroed, 540 s after the last session
 *   began (packets waiting for a session are dropped then too). When handshake
 *   retries give up (20 initiations, 100 to 107 s) the waiting packets are
 *   dropped but keys that are still valid stay, as in wireguard-go.
 * - `encapsulateTo(peer, new Uint8Array(0))` sends a keepalive (or starts a
 *   handshake), which is how a path can be probed with an authenticated packet.
 * - TAI64N timestamps come from `DeviceConfig.wallClock` (default Date.now) and
 *   are kept strictly increasing per Device; all timers use the `now` arguments.
 */
export type { Action, DropReason, Endpoint, Millis } from "./actions.ts";
export type { CryptoBackend } from "./crypto/backend.ts";
export { createNobleBackend } from "./crypto/noble.ts";
export { createNodeCryptoBackend } from "./crypto/node-crypto.ts";
export {
  Device,
  type DeviceConfig,
  type PeerConfig,
  type PeerStats,
  UNDER_LOAD_HANDSHAKES,
} from "./device.ts";
export { generatePrivateKey, keyFromBase64, keyToBase64, publicKeyFrom } from "./keys.ts";
