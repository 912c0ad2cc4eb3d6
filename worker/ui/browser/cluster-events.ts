// A cluster's history (GET /api/v1/clusters/:name/events): registrations, failures with their
// reasons, PSK rotations, path changes, values applied or rejected.
import { ApiError, api, clusterPath } from "./api.ts";

export interface ClusterEvent {
  id: string;
  at: string;
  type: string;
  reason: string;
  message: string;
  detail: unknown;
}

export interface ClusterEventsPage {
  items: ClusterEvent[];
  nextCursor: string | null;
}

export async function clusterEvents(
  name: string,
  limit: number,
  before?: string,
): Promise<ClusterEventsPage> {
  const query = `?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`;
  return api<ClusterEventsPage>("GET", `${clusterPath(name)}/events${query}`);
}

/** An event that reports a refused registration: it carries a reason and says it failed. */
export function isFailure(event: ClusterEvent): boolean {
  return event.reason !== "" && /fail|refus|reject/i.test(event.type);
}

/** A PSK rotation or a registration that worked: failures before it are settled. */
function settles(event: ClusterEvent): boolean {
  return !isFailure(event) && /rotat|regist/i.test(event.type);
}

/**
 * The registration failure that stands now: the newest failure since `since` (epoch ms) with no
 * PSK rotation or good registration after it; null when none (also when there is no history).
 */
export async function recentFailure(name: string, since: number): Promise<ClusterEvent | null> {
  let page: ClusterEventsPage;
  try {
    page = await clusterEvents(name, 20);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
  for (const event of page.items) {
    if (Date.parse(event.at) < since || settles(event)) break;
    if (isFailure(event)) return event;
  }
  return null;
}
