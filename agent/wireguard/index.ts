/**
 * The sans-I/O WireGuard core. Drivers (the UDP peer, the path manager,
 * tests) feed it datagrams, packets and time, and perform the Actions it returns.
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
