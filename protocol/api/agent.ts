import { z } from "zod";
import { PeerStatus } from "./clusters.ts";
import { PeeringPolicy, ValuesIssue } from "./config.ts";
import { MESH_PREFIX } from "./constants.ts";
import { Endpoint } from "./endpoint.ts";

// 32 bytes in padded base64 are 44 characters; the last data character carries only 2 bits.
export const WireguardPublicKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, "must be standard base64 of 32 bytes");

/**
 * An agent's version as semver (optionally "v"-prefixed, with pre-release and build parts):
 * admins read it in the CLI and the UI, so nothing but this bounded charset may get through.
 */
export const AgentVersion = z
  .string()
  .max(64)
  .regex(
    /^v?\d{1,9}\.\d{1,9}\.\d{1,9}(-[0-9A-Za-z.-]{1,32})?(\+[0-9A-Za-z.-]{1,32})?$/,
    'must be a version like "1.2.3" or "1.2.3-rc.1"',
  );

/** POST /api/v1/agent/register: the agent proves the PSK and gets a credential. */
export const RegisterRequest = z.object({
  cluster: z.string().min(1).max(63),
  psk: z.string().min(1).max(256),
  /** WireGuard public key, standard base64 of 32 bytes. */
  publicKey: WireguardPublicKey,
  clusterUid: z.string().min(1).max(128),
  version: AgentVersion,
  endpoints: z.array(Endpoint).max(32).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({
  credential: z.string(),
  meshIp: z.string(),
  cluster: z.string(),
  meshPrefix: z.literal(MESH_PREFIX),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

const valuesPath = z.string().max(256);

/**
 * What the agent did with its effective values: the dotted paths it applied and the values it
 * rejected, with why (checked against the agent values schema). A plain shape, sent in the
 * heartbeat today and fit for any other channel to the platform.
 */
export const ValuesReport = z.object({
  applied: z.array(valuesPath).max(512),
  rejected: z.array(ValuesIssue.extend({ path: valuesPath, message: z.string().max(512) })).max(512),
  /** The valuesVersion the report is about (HeartbeatResponse.valuesVersion). */
  revision: z.string().max(128).optional(),
});
export type ValuesReport = z.infer<typeof ValuesReport>;

/** POST /api/v1/agent/heartbeat (Bearer tac_...). */
export const HeartbeatRequest = z.object({
  version: AgentVersion,
  endpoints: z.array(Endpoint).max(32),
  /** Only this cluster's real peers under the policy are kept, once each; the rest are dropped. */
  peers: z.array(PeerStatus).max(1024),
  /** The agent's WireGuard UDP port; with it the platform adds the address it observed. */
  listenPort: z.number().int().min(1).max(65535).optional(),
  /** The last values report; absent until the agent has applied values (and from older agents). */
  values: ValuesReport.optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z.object({
  /** Changes whenever GET /api/v1/agent/netmap would answer differently. */
  netmapVersion: z.string(),
  /** Changes whenever GET /api/v1/agent/values would answer differently. */
  valuesVersion: z.string(),
  /** The agent's address as the platform saw it, paired with its UDP port; null when unknown. */
  observedEndpoint: z.string().nullable(),
  /**
   * The platform asks for the next heartbeat after this many seconds (agents use the smaller of it
   * and their own interval). Platforms before the control channel sent it while a new peer was
   * awaited; this one pushes new peers instead and never sends it.
   */
  heartbeatSeconds: z.number().positive().optional(),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

export const NetmapPeer = z.object({
  cluster: z.string(),
  meshIp: z.string(),
  publicKey: z.string(),
  endpoints: z.array(z.string()),
  online: z.boolean(),
});
export type NetmapPeer = z.infer<typeof NetmapPeer>;

/** GET /api/v1/agent/netmap: who this agent may talk to. */
export const Netmap = z.object({
  self: z.object({ cluster: z.string(), meshIp: z.string(), publicKey: z.string() }),
  policy: PeeringPolicy,
  peers: z.array(NetmapPeer),
  version: z.string(),
});
export type Netmap = z.infer<typeof Netmap>;
