// The platform's HTTP API as types, shared by the Worker, the CLI and the agent.
// Pure declarations and constants only: this file compiles for both Node and workerd.

export const API_VERSION = "v1";
export const MESH_PREFIX = "100.64.0.0/10";
/** Every request body is capped at this size; larger bodies get 413. */
export const MAX_BODY_BYTES = 256 * 1024;
/** A cluster is online when its agent sent a heartbeat within this window. */
export const ONLINE_WINDOW_SECONDS = 60;
/** Failed registrations per cluster tolerated within REGISTER_FAILURE_WINDOW_SECONDS before 429. */
export const REGISTER_FAILURE_LIMIT = 5;
export const REGISTER_FAILURE_WINDOW_SECONDS = 60;
export const AGENT_VALUES_ANNOTATION = "loft.sh/agent-values";

export const SECRET_PREFIXES = {
  accessKey: "tak_",
  agentCredential: "tac_",
  psk: "tpsk_",
} as const;
export type SecretKind = keyof typeof SECRET_PREFIXES;

// 32 random bytes in unpadded base64url are always exactly 43 characters.
const SECRET_BODY = /^[A-Za-z0-9_-]{43}$/;

/** Which kind of Tether secret a string looks like, judged by its shape alone (null when none). */
export function secretKind(token: string): SecretKind | null {
  for (const [kind, prefix] of Object.entries(SECRET_PREFIXES) as [SecretKind, string][]) {
    if (token.startsWith(prefix) && SECRET_BODY.test(token.slice(prefix.length))) return kind;
  }
  return null;
}

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details?: Record<string, unknown>;
  };
}

export interface VersionResponse {
  version: string;
  api: typeof API_VERSION;
}

export interface HealthResponse {
  ok: boolean;
  db: "ok" | "error";
}

export type AccessKeyScope = "admin" | "values:read";

export interface AccessKey {
  id: string;
  name: string;
  scope: AccessKeyScope;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  disabled: boolean;
}

export interface CreateAccessKeyRequest {
  name: string;
  scope: AccessKeyScope;
  expiresInSeconds?: number;
}

export interface CreateAccessKeyResponse {
  accessKey: AccessKey;
  /** Shown once; the platform keeps only its hash. */
  key: string;
}

export interface ListAccessKeysResponse {
  items: AccessKey[];
}

export type ClusterPhase = "" | "Initialized" | "Failed";
export type PeerPath = "direct" | "relay" | "none";

export interface PeerStatus {
  cluster: string;
  path: PeerPath;
  endpoint: string | null;
  rttMs: number | null;
  rxBytes: number;
  txBytes: number;
  lastHandshakeAgeSeconds: number | null;
}

export interface ClusterStatus {
  phase: ClusterPhase;
  reason: string;
  message: string;
  online: boolean;
  lastSeen: string | null;
  agentVersion: string | null;
  endpoints: string[];
  peers: PeerStatus[];
}

export interface Cluster {
  name: string;
  displayName: string;
  description: string;
  annotations: Record<string, string>;
  local: boolean;
  meshIp: string;
  createdAt: string;
  status: ClusterStatus;
}

export interface CreateClusterRequest {
  displayName: string;
  name?: string;
  description?: string;
  local?: boolean;
  annotations?: Record<string, string>;
}

/** Ready-to-paste ways to start the agent for one cluster; each embeds the PSK. */
export interface ConnectInstructions {
  cli: string;
  helmValues: string;
  kubectl: string;
}

export interface CreateClusterResponse {
  cluster: Cluster;
  psk: string;
  connect: ConnectInstructions;
}

export interface ListClustersResponse {
  items: Cluster[];
  nextCursor: string | null;
}

export interface PatchClusterRequest {
  displayName?: string;
  description?: string;
  /** A null value removes that annotation. */
  annotations?: Record<string, string | null>;
}

export interface RotatePskResponse {
  psk: string;
  connect: ConnectInstructions;
}

export type PeeringPolicy = "hub" | "mesh";

export interface ConfigResponse {
  yaml: string;
  values: Record<string, unknown>;
}

/** GET /api/v1/config/agent-values: the agentValues section alone. */
export interface AgentValuesResponse {
  yaml: string;
  values: Record<string, unknown>;
}

export interface RegisterRequest {
  cluster: string;
  psk: string;
  /** WireGuard public key, standard base64 of 32 bytes. */
  publicKey: string;
  clusterUid: string;
  version: string;
  endpoints?: string[];
}

export interface RegisterResponse {
  credential: string;
  meshIp: string;
  cluster: string;
  meshPrefix: typeof MESH_PREFIX;
}

export interface HeartbeatRequest {
  version: string;
  endpoints: string[];
  peers: PeerStatus[];
  /** The agent's WireGuard UDP port; with it the platform adds the address it observed. */
  listenPort?: number;
}

export interface HeartbeatResponse {
  /** Changes whenever GET /api/v1/agent/netmap would answer differently. */
  netmapVersion: string;
  /** Changes whenever GET /api/v1/agent/values would answer differently. */
  valuesVersion: string;
  /** The agent's address as the platform saw it, paired with its UDP port; null when unknown. */
  observedEndpoint: string | null;
  /**
   * Present while a cluster this agent may peer with was just created and its agent has not
   * registered yet: the platform asks for the next heartbeat after this many seconds (agents
   * use the smaller of it and their own interval), so the new peer is learnt quickly.
   */
  heartbeatSeconds?: number;
}

export interface NetmapPeer {
  cluster: string;
  meshIp: string;
  publicKey: string;
  endpoints: string[];
  online: boolean;
}

export interface Netmap {
  self: { cluster: string; meshIp: string; publicKey: string };
  policy: PeeringPolicy;
  peers: NetmapPeer[];
  version: string;
}

export type ValuesSource = "platform-config" | "cluster-annotation";
