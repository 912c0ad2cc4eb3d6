/** What `tether agent status` shows, as the status socket serves it. */
import type { PeerStatus } from "../../protocol/api.ts";
import type { RelayPlacement } from "../../protocol/relay-placement.ts";
import type { AgentSettings } from "../settings/agent-settings.ts";
import type { ForwardInfo } from "../tunnel/forward.ts";

export interface AgentPeerStatus extends PeerStatus {
  meshIp: string;
  relay: "connecting" | "open" | "closed" | "off";
  /** Reconnect attempts the relay made after its socket closed (deploys, resets). */
  relayReconnects: number;
  /** Where the pair's relay object was placed (from the relay's hello); null before one arrived. */
  relayPlacement: RelayPlacement | null;
  switches: number;
  online: boolean;
}

export interface AgentStatus {
  cluster: string;
  platform: string;
  version: string;
  meshIp: string;
  publicKey: string;
  listenPort: number;
  endpoints: string[];
  platformReachable: boolean;
  /** Whether the control channel is up: pushes arrive and HTTP heartbeats are paused. */
  controlChannel: boolean;
  lastHeartbeatAt: string | null;
  settings: AgentSettings;
  peers: AgentPeerStatus[];
  drops: Record<string, number>;
  counters: Record<string, number>;
  tcp: { connections: number; resetsSent: number; badChecksum: number };
  expose: { port: number; target: string }[];
  forwards: ForwardInfo[];
  socks5: string | null;
}

/** For orchestrators (liveness and readiness probes). */
export interface AgentHealth {
  /** Clock time of the engine's last tick: a stuck event loop shows here first. */
  lastTickAt: number;
  registered: boolean;
  /** Clock time of the last successful heartbeat or netmap fetch, or null before the first. */
  lastControlOkAt: number | null;
}
