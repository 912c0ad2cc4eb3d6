// The backoff moved to agent/util/ so the control channel (a sibling layer) can share it; this
// re-export keeps the relay's imports as they were.
export { Backoff } from "../util/backoff.ts";
