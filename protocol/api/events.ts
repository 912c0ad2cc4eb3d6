import { z } from "zod";

/** Kubernetes' two event types: Warning for what an admin should look at, Normal for the rest. */
export const ClusterEventType = z.enum(["Normal", "Warning"]);
export type ClusterEventType = z.infer<typeof ClusterEventType>;

/** The reasons the platform records today; other writers may add more, so clients show unknown ones as they are. */
export const CLUSTER_EVENT_REASONS = {
  /** An agent proved the PSK and registered (detail.rebound: a new identity replaced the old one). */
  registered: "Registered",
  /** A wrong PSK for this cluster's name (the answer does not say which part was wrong). */
  invalidPsk: "InvalidPSK",
  /** The right PSK from a second physical cluster (another cluster UID) while the first is live. */
  duplicateCluster: "DuplicateCluster",
  /** Too many failed registrations from one address: 429. */
  rateLimited: "RateLimited",
  pskRotated: "PSKRotated",
  /** An admin revoked the agent (POST .../revoke): its credential and PSK no longer work. */
  credentialRevoked: "CredentialRevoked",
  /** The agent's values report changed and it rejected nothing. */
  valuesApplied: "ValuesApplied",
  /** The agent's values report changed and it rejected at least one value. */
  valuesRejected: "ValuesRejected",
  /** A peer's path changed (direct, relay, none); detail: {peer, from, to}. */
  pathChanged: "PathChanged",
  /** A heartbeat after none for longer than the online window. */
  agentOnline: "AgentOnline",
  /** Recorded when the platform notices (the next heartbeat or registration); `at` is when it went offline. */
  agentOffline: "AgentOffline",
} as const;

export const ClusterEvent = z.object({
  id: z.string(),
  at: z.string(),
  type: ClusterEventType,
  reason: z.string(),
  message: z.string(),
  detail: z.record(z.string(), z.unknown()),
});
export type ClusterEvent = z.infer<typeof ClusterEvent>;

/** GET /api/v1/clusters/:name/events?limit=&before=: newest first; `before` is a nextCursor. */
export const ListClusterEventsResponse = z.object({
  items: z.array(ClusterEvent),
  nextCursor: z.string().nullable(),
});
export type ListClusterEventsResponse = z.infer<typeof ListClusterEventsResponse>;
