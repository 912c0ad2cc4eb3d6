import { createApp } from "./app.ts";

// wrangler finds Durable Object classes among the entry module's exports.
export { ControlChannel } from "../durable-objects/control-channel.ts";
export { PairRelay } from "../durable-objects/pair-relay.ts";

export default createApp();
