import { createApp } from "./app.ts";

// wrangler finds Durable Object classes among the entry module's exports.
export { PairRelay } from "../durable-objects/pair-relay.ts";

export default createApp();
