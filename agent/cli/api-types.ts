/**
 * The slice of the platform API the CLI reads, typed as the contract in
 * DESIGN.md/the brief states it. Kept local so the CLI compiles on its own;
 * the platform's protocol/api.ts is the source of truth for the Worker.
 */

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

export interface ConnectCommands {
  cli: string;
  helmValues: string;
  kubectl: string;
}

export interface CreateClusterResponse {
  cluster: Cluster;
  psk: string;
  connect: ConnectCommands;
}

export interface RotatePskResponse {
  psk: string;
  connect: ConnectCommands;
}

export interface ClusterPage {
  items: Cluster[];
  nextCursor: string | null;
}

export const AGENT_VALUES_ANNOTATION = "loft.sh/agent-values";

export const VALUES_SOURCES = ["platform-config", "cluster-annotation"] as const;
export type ValuesSource = (typeof VALUES_SOURCES)[number];
