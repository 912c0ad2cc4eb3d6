import {
  type ClusterValuesStatus,
  ONLINE_WINDOW_SECONDS,
  type PeerStatus,
  CLUSTER_EVENT_REASONS as R,
  type ValuesReport,
} from "../../protocol/api.ts";
import type { NewClusterEvent } from "../clusters/events.ts";
import type { AgentRow } from "../clusters/records.ts";
import { isPeerStatusArray, parseJsonColumn, valuesStatusOf } from "../clusters/to-json.ts";

/** What the platform knew of the agent before this heartbeat. */
export interface PreviousHeartbeat {
  lastSeen: number | null;
  peers: PeerStatus[];
  values: ClusterValuesStatus | null;
}

const WINDOW_MS = ONLINE_WINDOW_SECONDS * 1000;
/** Path changes recorded one by one per heartbeat; more are summed up in one event. */
export const MAX_PATH_EVENTS = 16;

export function previousHeartbeat(row: AgentRow): PreviousHeartbeat {
  return {
    lastSeen: row.lastSeen,
    peers: parseJsonColumn(row.peerStats, isPeerStatusArray, []),
    values: valuesStatusOf(row),
  };
}

/** The stored form of a values report (the cluster API's status.values). */
export function storedValuesReport(report: ValuesReport, now: number): ClusterValuesStatus {
  return {
    applied: report.applied,
    rejected: report.rejected,
    revision: report.revision ?? null,
    reportedAt: new Date(now).toISOString(),
  };
}

function sameValues(a: ClusterValuesStatus | null, b: ValuesReport): boolean {
  return (
    a !== null &&
    JSON.stringify(a.applied) === JSON.stringify(b.applied) &&
    JSON.stringify(a.rejected) === JSON.stringify(b.rejected)
  );
}

function valuesEvent(report: ValuesReport): NewClusterEvent {
  const detail = { applied: report.applied, rejected: report.rejected, revision: report.revision ?? null };
  if (report.rejected.length === 0) {
    return {
      type: "Normal",
      reason: R.valuesApplied,
      message: `The agent applied ${report.applied.length} value(s) and rejected none.`,
      detail,
    };
  }
  const rejected = report.rejected.map((r) => `${r.path}: ${r.message}`).join("; ");
  return { type: "Warning", reason: R.valuesRejected, message: `The agent rejected ${rejected}.`, detail };
}

function pathEvents(before: PeerStatus[], after: PeerStatus[]): NewClusterEvent[] {
  const was = new Map(before.map((p) => [p.cluster, p.path]));
  const now = new Map(after.map((p) => [p.cluster, p.path]));
  const events: NewClusterEvent[] = [];
  for (const peer of new Set([...was.keys(), ...now.keys()])) {
    const from = was.get(peer) ?? "none";
    const to = now.get(peer) ?? "none";
    if (from === to) continue;
    events.push({
      type: to === "none" ? "Warning" : "Normal",
      reason: R.pathChanged,
      message: `Peer ${peer}: ${from} -> ${to}.`,
      detail: { peer, from, to },
    });
  }
  if (events.length <= MAX_PATH_EVENTS) return events;
  const more = events.length - MAX_PATH_EVENTS;
  return [
    ...events.slice(0, MAX_PATH_EVENTS),
    {
      type: "Normal",
      reason: R.pathChanged,
      message: `${more} more peer(s) changed path.`,
      detail: { more },
    },
  ];
}

/**
 * The events one heartbeat means, only on change: the agent back after a silence longer than the
 * online window (its offline time is when the window ran out), its values report changing, and
 * each peer whose path changed. After a silence the old paths are not current, so paths are
 * compared with none.
 */
export function heartbeatEvents(
  previous: PreviousHeartbeat,
  peers: PeerStatus[],
  values: ValuesReport | undefined,
  now: number,
  /**
   * False for a status on the control channel: the channel's open and close are the presence
   * transitions there (recorded by the control object), and statuses may be half an hour apart.
   */
  presenceFromGap = true,
): NewClusterEvent[] {
  const events: NewClusterEvent[] = [];
  const wasOnline = !presenceFromGap || (previous.lastSeen !== null && now - previous.lastSeen <= WINDOW_MS);
  if (!wasOnline) {
    if (previous.lastSeen !== null) {
      events.push({
        type: "Warning",
        reason: R.agentOffline,
        message: `No heartbeat for more than ${ONLINE_WINDOW_SECONDS} s.`,
        at: previous.lastSeen + WINDOW_MS,
        detail: { lastSeen: new Date(previous.lastSeen).toISOString() },
      });
    }
    events.push({ type: "Normal", reason: R.agentOnline, message: "The agent is online." });
  }
  if (values !== undefined && !sameValues(previous.values, values)) events.push(valuesEvent(values));
  events.push(...pathEvents(wasOnline ? previous.peers : [], peers));
  return events;
}
