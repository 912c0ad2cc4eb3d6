import type { HeartbeatRequest } from "../../protocol/api.ts";

/** Byte counters and RTTs alone are sent at most this often: an idle fleet writes ~2 rows an hour. */
export const STATUS_REFRESH_MS = 30 * 60_000;

/** An RTT that moved by about a factor of two is sent, but at most this often. */
export const RTT_REPORT_MIN_MS = 60_000;

/**
 * What makes a status worth sending: the version, our endpoints, each peer's path and endpoint,
 * whether it has an RTT yet, and the values report (on change, at once); then, on its own line,
 * each peer's RTT as a log2 bucket (a move by about a factor of two, at most once a minute: the
 * UI's RTT column is the agent's own report). Counters and handshake ages change all the time and
 * ride along, or wait for STATUS_REFRESH_MS.
 */
export function statusKey(s: HeartbeatRequest): string {
  const structural = JSON.stringify([
    s.version,
    s.endpoints,
    s.listenPort ?? null,
    s.peers.map((p) => [p.cluster, p.path, p.endpoint, p.rttMs !== null]),
    s.values ?? null,
  ]);
  return `${structural}\n${JSON.stringify(s.peers.map((p) => rttBucket(p.rttMs)))}`;
}

/** Whether to send `next`, given the key last sent and when. */
export function statusDue(
  lastKey: string | null,
  lastSentAt: number,
  next: HeartbeatRequest,
  now: number,
): boolean {
  if (now - lastSentAt >= STATUS_REFRESH_MS) return true;
  const key = statusKey(next);
  if (lastKey === key) return false;
  const [lastStructural] = (lastKey ?? "").split("\n");
  const [structural] = key.split("\n");
  if (lastStructural !== structural) return true;
  return now - lastSentAt >= RTT_REPORT_MIN_MS;
}

function rttBucket(rttMs: number | null): number | null {
  return rttMs === null ? null : Math.round(Math.log2(Math.max(1, rttMs)));
}
