// Constants and secret shapes of the platform API. No zod here: the web UI's bundle imports this
// file, and it must not pull a validation library into the page.

export const API_VERSION = "v1";
export const MESH_PREFIX = "100.64.0.0/10";
/** Every request body is capped at this size; larger bodies get 413. */
export const MAX_BODY_BYTES = 256 * 1024;
/**
 * A cluster is online while its agent's control channel is open and pinged within this window,
 * or (on the fallback heartbeat) when it sent a heartbeat within it.
 */
export const ONLINE_WINDOW_SECONDS = 30;
/**
 * Failed registrations one source may make for one cluster name within
 * REGISTER_FAILURE_WINDOW_SECONDS before 429. A right PSK is never refused.
 */
export const REGISTER_FAILURE_LIMIT = 5;
/** Failed registrations one source may make across all cluster names in the window (bounds name spraying). */
export const REGISTER_SOURCE_FAILURE_LIMIT = 30;
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

/**
 * The cluster status reason when a second physical cluster (another cluster UID) proved the PSK
 * and was refused. It stays until the PSK is rotated: the admin's answer to a key in two places.
 */
export const DUPLICATE_CLUSTER = "DuplicateCluster";

/**
 * The cluster status reason (with phase Failed) after an admin revoked the cluster's agent
 * (POST /api/v1/clusters/:name/revoke). It stays until an agent registers with a rotated PSK.
 */
export const CREDENTIAL_REVOKED = "CredentialRevoked";
