import { eq } from "drizzle-orm";
import type { PeerStatus, ValuesReport } from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { agents } from "../db/schema.ts";
import { storedValuesReport } from "./heartbeat-events.ts";

/** What an agent reports about itself, over its control channel or an HTTP heartbeat. */
export interface AgentStatusReport {
  version: string;
  endpoints: readonly string[];
  /** Already filtered to the agent's real peers (reported-peers.ts). */
  peers: readonly PeerStatus[];
  values?: ValuesReport;
}

/**
 * The one write of an agent's report to its row, the same whichever way it came: its version,
 * endpoints, per-peer paths and (when sent) its values report, and now as its last sighting.
 */
export function agentStatusUpdate(db: Db, cluster: string, report: AgentStatusReport, now: number) {
  return db
    .update(agents)
    .set({
      version: report.version,
      endpoints: JSON.stringify(report.endpoints),
      peerStats: JSON.stringify(report.peers),
      peerStatsAt: now,
      lastSeen: now,
      ...(report.values === undefined
        ? {}
        : { valuesReport: JSON.stringify(storedValuesReport(report.values, now)) }),
    })
    .where(eq(agents.cluster, cluster));
}
