/**
 * The control channel: one long-lived WebSocket per agent, to its cluster's control Durable Object.
 *
 *   GET /api/v1/agent/control   Authorization: Bearer <agent credential>   Upgrade: websocket
 *
 * Liveness: the agent sends the exact text "ping" every CONTROL_PING_MS; the runtime answers
 * "pong" without waking the object, and remembers when it did. That time is the agent's presence.
 *
 * Everything else is one JSON object per text frame, parsed with the schemas below. The platform
 * pushes the netmap (a full one on connect and on "resync", deltas against a version after that),
 * "values-changed" when the agent values may have moved, and closes with ControlClose.revoked when
 * the cluster is deleted, its agent revoked (POST .../revoke) or its credential replaced. The agent sends its status (version,
 * endpoints, per-peer paths) when it changes meaningfully, and "resync" when a delta does not
 * follow the version it holds.
 */
import { z } from "zod";
import { HeartbeatRequest, Netmap, NetmapPeer } from "./api/agent.ts";

export const CONTROL_PING = "ping";
export const CONTROL_PONG = "pong";
/** How often the agent pings; two may go missing inside the presence window. */
export const CONTROL_PING_MS = 10_000;
/** An agent with no ping answered for this long is offline, even though its socket never closed. */
export const PRESENCE_WINDOW_MS = 30_000;
/** Largest text frame either side accepts. */
export const MAX_CONTROL_MESSAGE = 256 * 1024;

/** Close codes of the control channel. */
export const ControlClose = {
  /** The same cluster connected again; the newer socket wins. */
  replaced: 4000,
  /** The cluster was deleted, its agent revoked or its credential replaced: the agent must not carry on. */
  revoked: 4001,
  /** No ping for PRESENCE_WINDOW_MS: the platform gave up on a socket that never closed. */
  silent: 4008,
  /** A frame that is not a control message. */
  badMessage: 4400,
} as const;

/** Platform -> agent: the whole netmap; `version` is what later deltas build on. */
export const NetmapFull = z.object({
  type: z.literal("netmap"),
  netmap: Netmap,
});

/**
 * Platform -> agent: what changed since `base`. Peers in `upserts` replace the peer of the same
 * cluster (or are added); `removes` are cluster names. An agent whose netmap is not at `base`
 * asks for a resync instead of applying it.
 */
export const NetmapDelta = z.object({
  type: z.literal("netmap-delta"),
  base: z.string(),
  version: z.string(),
  upserts: z.array(NetmapPeer).max(4096),
  removes: z.array(z.string()).max(4096),
});
export type NetmapDelta = z.infer<typeof NetmapDelta>;

/** Platform -> agent: the agent values may have changed; fetch GET /api/v1/agent/values. */
export const ValuesChanged = z.object({ type: z.literal("values-changed") });

/** Platform -> agent, after each status: the address the platform saw, paired with the agent's port. */
export const ObservedEndpoint = z.object({
  type: z.literal("observed-endpoint"),
  endpoint: z.string().nullable(),
});

export const ServerMessage = z.discriminatedUnion("type", [
  NetmapFull,
  NetmapDelta,
  ValuesChanged,
  ObservedEndpoint,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** Agent -> platform: the same report the HTTP heartbeat carries (kept extensible the same way). */
export const StatusMessage = HeartbeatRequest.extend({ type: z.literal("status") });
export type StatusMessage = z.infer<typeof StatusMessage>;

/** Agent -> platform: send the whole netmap again. */
export const ResyncMessage = z.object({ type: z.literal("resync") });

export const AgentMessage = z.discriminatedUnion("type", [StatusMessage, ResyncMessage]);
export type AgentMessage = z.infer<typeof AgentMessage>;

/** Parses one text frame; null when it is not JSON or not a message of this schema. */
export function parseMessage<T>(schema: z.ZodType<T>, text: string): T | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
