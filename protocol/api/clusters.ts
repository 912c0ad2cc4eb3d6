import { z } from "zod";
import { DNS1123_LABEL, MAX_NAME_LENGTH } from "../cluster-name.ts";
import { RelayPlacement } from "../relay-placement.ts";
import { ValuesIssue } from "./config.ts";
import { Endpoint } from "./endpoint.ts";

export const ClusterPhase = z.enum(["", "Initialized", "Failed"]);
export type ClusterPhase = z.infer<typeof ClusterPhase>;

export const PeerPath = z.enum(["direct", "relay", "none"]);
export type PeerPath = z.infer<typeof PeerPath>;

/** One peer as the agent reports it in its heartbeat, and as the cluster's status shows it. */
export const PeerStatus = z.object({
  cluster: z.string().max(MAX_NAME_LENGTH).regex(DNS1123_LABEL, "must be a cluster name"),
  path: PeerPath,
  endpoint: Endpoint.nullable(),
  rttMs: z.number().nonnegative().nullable(),
  rxBytes: z.number().int().nonnegative(),
  txBytes: z.number().int().nonnegative(),
  lastHandshakeAgeSeconds: z.number().nonnegative().nullable(),
});
export type PeerStatus = z.infer<typeof PeerStatus>;

/** The agent's last report of the values it applied and rejected (see ValuesReport). */
export const ClusterValuesStatus = z.object({
  applied: z.array(z.string()),
  rejected: z.array(ValuesIssue),
  /** The valuesVersion the agent reported about, when it said. */
  revision: z.string().nullable(),
  reportedAt: z.string(),
});
export type ClusterValuesStatus = z.infer<typeof ClusterValuesStatus>;
/** The kinds of condition a cluster's status carries (one entry each, always all of them). */
export const ClusterConditionType = z.enum([
  "AgentConnected",
  "AgentOffline",
  "DuplicateCluster",
  "CredentialRevoked",
  "VersionSkew",
  "DirectPathUnavailable",
]);
export type ClusterConditionType = z.infer<typeof ClusterConditionType>;

/** One condition, as Kubernetes writes them: a reason code for machines, a message for people. */
export const ClusterCondition = z.object({
  type: ClusterConditionType,
  status: z.enum(["True", "False"]),
  /** UpperCamelCase, stable: scripts match on it. */
  reason: z.string(),
  message: z.string(),
  /** When status last flipped (or the best time the platform has for it), ISO 8601. */
  lastTransitionTime: z.string(),
});
export type ClusterCondition = z.infer<typeof ClusterCondition>;

export const ClusterStatus = z.object({
  phase: ClusterPhase,
  reason: z.string(),
  message: z.string(),
  online: z.boolean(),
  lastSeen: z.string().nullable(),
  agentVersion: z.string().nullable(),
  endpoints: z.array(z.string()),
  peers: z.array(PeerStatus),
  /** null until the cluster's agent reports what it did with its values. */
  values: ClusterValuesStatus.nullable(),
  conditions: z.array(ClusterCondition),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

// Kubernetes allows a 253-character prefix, "/", and a 63-character name.
const annotationKey = z.string().min(1).max(317);

export const Annotations = z.record(annotationKey, z.string());
/** A PATCH of annotations: a null value removes that annotation. */
export const AnnotationsPatch = z.record(annotationKey, z.string().nullable());

/** GET /api/v1/clusters/:name, and each item of the list. */
export const Cluster = z.object({
  name: z.string(),
  displayName: z.string(),
  description: z.string(),
  annotations: z.record(z.string(), z.string()),
  local: z.boolean(),
  meshIp: z.string(),
  createdAt: z.string(),
  status: ClusterStatus,
});
export type Cluster = z.infer<typeof Cluster>;

/** GET /api/v1/clusters/:name: the cluster, plus where each of its pair relays was placed (by peer). */
export const ClusterDetail = Cluster.extend({
  relays: z.record(z.string(), RelayPlacement),
});
export type ClusterDetail = z.infer<typeof ClusterDetail>;

/** POST /api/v1/clusters; an empty or missing name is generated from the display name. */
export const CreateClusterRequest = z.object({
  displayName: z.string().min(1).max(128),
  name: z
    .string()
    .max(MAX_NAME_LENGTH)
    .refine((n) => n === "" || DNS1123_LABEL.test(n), {
      message:
        "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric",
    })
    .optional(),
  description: z.string().max(4096).optional(),
  local: z.boolean().optional(),
  annotations: Annotations.optional(),
});
export type CreateClusterRequest = z.infer<typeof CreateClusterRequest>;

/**
 * Ready-to-paste ways to start the agent for one cluster, each for a POSIX shell and each embedding
 * the PSK; the Kubernetes forms also carry the cluster's values key (see valuesKey).
 */
export const ConnectInstructions = z.object({
  /** `helm upgrade --install` of the chart the platform serves, layering the cluster's values URL. */
  helm: z.string(),
  /** The same chart rendered by `helm template` and applied by `kubectl` (namespace created first). */
  kubectl: z.string(),
  /** The installed CLI, with the PSK in the environment rather than on the command line. */
  cli: z.string(),
  /** The chart values the commands set (platform.url, cluster.name, cluster.psk), as YAML. */
  helmValues: z.string(),
  /** The packaged chart: GET /charts/NAME-VERSION.tgz on the platform. */
  chartUrl: z.string(),
  /** The cluster's effective agent values, readable with the values key in ?token=. */
  valuesUrl: z.string(),
});
export type ConnectInstructions = z.infer<typeof ConnectInstructions>;

export const CreateClusterResponse = z.object({
  cluster: Cluster,
  psk: z.string(),
  /** A new cluster-values:read access key for this cluster alone; shown once, like the PSK. */
  valuesKey: z.string(),
  connect: ConnectInstructions,
});
export type CreateClusterResponse = z.infer<typeof CreateClusterResponse>;

/** GET /api/v1/clusters?limit=&cursor= */
export const ListClustersResponse = z.object({
  items: z.array(Cluster),
  nextCursor: z.string().nullable(),
});
export type ListClustersResponse = z.infer<typeof ListClustersResponse>;

/** PATCH /api/v1/clusters/:name */
export const PatchClusterRequest = z.object({
  displayName: z.string().min(1).max(128).optional(),
  description: z.string().max(4096).optional(),
  /** At most one cluster is local: 409 local_cluster_exists while another one is. */
  local: z.boolean().optional(),
  annotations: AnnotationsPatch.optional(),
});
export type PatchClusterRequest = z.infer<typeof PatchClusterRequest>;

/**
 * POST /api/v1/clusters/:name/revoke (no body): cuts the cluster's agent off and keeps the cluster.
 * Answers the cluster as GET does; status.reason is CredentialRevoked until an agent registers
 * with a rotated PSK.
 */
export const RevokeClusterResponse = ClusterDetail;
export type RevokeClusterResponse = z.infer<typeof RevokeClusterResponse>;

/** POST /api/v1/clusters/:name/rotate-psk */
export const RotatePskResponse = z.object({
  psk: z.string(),
  /** A new cluster-values:read key; the cluster's earlier ones are revoked with the old PSK. */
  valuesKey: z.string(),
  connect: ConnectInstructions,
});
export type RotatePskResponse = z.infer<typeof RotatePskResponse>;
