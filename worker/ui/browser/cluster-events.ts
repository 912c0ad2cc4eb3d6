// A cluster's history (GET /api/v1/clusters/:name/events): registrations, failures with their
// reasons, PSK rotations, path changes, values applied or rejected.
import type {
  CLUSTER_EVENT_REASONS,
  ClusterEvent,
  ListClusterEventsResponse,
} from "../../../protocol/api/events.ts";
import { ApiError, api, clusterPath } from "./api.ts";

export type { ClusterEvent };

type ClusterEventsPage = ListClusterEventsResponse;

// The reasons the page acts on, spelled as the platform records them (the protocol's module holds
// zod, which the page's bundle must not pull in; `satisfies` keeps the spellings in step).
const R = {
  invalidPsk: "InvalidPSK",
  duplicateCluster: "DuplicateCluster",
  rateLimited: "RateLimited",
  registered: "Registered",
  pskRotated: "PSKRotated",
} as const satisfies Partial<typeof CLUSTER_EVENT_REASONS>;
const FAILURES: ReadonlySet<string> = new Set([R.invalidPsk, R.duplicateCluster, R.rateLimited]);
const SETTLING: ReadonlySet<string> = new Set([R.registered, R.pskRotated]);

export async function clusterEvents(
  name: string,
  limit: number,
  before?: string,
): Promise<ClusterEventsPage> {
  const query = `?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`;
  return api<ClusterEventsPage>("GET", `${clusterPath(name)}/events${query}`);
}

/** An event that reports a refused registration. */
export function isFailure(event: Pick<ClusterEvent, "reason">): boolean {
  return FAILURES.has(event.reason);
}

/** A PSK rotation or a registration that worked: failures before it are settled. */
function settles(event: Pick<ClusterEvent, "reason">): boolean {
  return SETTLING.has(event.reason);
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
