import type { HeartbeatRequest } from "../../protocol/api.ts";

/** Byte counters and RTTs alone are sent at most this often: an idle fleet writes ~2 rows an hour. */
export const STATUS_REFRESH_MS = 30 * 60_000;

/**
 * What makes a status worth sending at once: the version, our endpoints, and each peer's path and
 * endpoint. Counters, RTTs and handshake ages change all the time and ride along, or wait for
 * STATUS_REFRESH_MS.
 */
export function statusKey(s: HeartbeatRequest): string {
  return JSON.stringify([
    s.version,
    s.endpoints,
    s.listenPort ?? null,
    s.peers.map((p) => [p.cluster, p.path, p.endpoint]),
    // The values report changes only when values are applied; the platform records it as an event.
    s.values ?? null,
  ]);
}

/** Whether to send `next`, given the key last sent and when. */
export function statusDue(
  lastKey: string | null,
  lastSentAt: number,
  next: HeartbeatRequest,
  now: number,
): boolean {
  return lastKey !== statusKey(next) || now - lastSentAt >= STATUS_REFRESH_MS;
}
