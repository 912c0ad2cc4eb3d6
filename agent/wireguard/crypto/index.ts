export type { CryptoBackend } from "./backend.ts";
export { createNobleBackend } from "./noble.ts";
export { createNodeCryptoBackend } from "./node-crypto.ts";
