// What the Clusters list shows: a search, a state filter and a sort, kept in the URL's query so a
// reload, Back or a shared link shows the same list.
import type { Cluster } from "../../../protocol/api.ts";
import { CLUSTER_STATES, type ClusterState, clusterState } from "./cluster-state.ts";
import { rttSummary } from "./format.ts";

export const SORT_KEYS = ["name", "state", "lastSeen", "rtt"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ListQuery {
  search: string;
  state: ClusterState | "";
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_QUERY: ListQuery = { search: "", state: "", sort: "name", descending: false };

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : null;
}

/** Unknown or malformed parameters fall back to the defaults rather than an empty list. */
export function parseListQuery(search: string): ListQuery {
  const p = new URLSearchParams(search);
  return {
    search: (p.get("q") ?? "").slice(0, 200),
    state: oneOf(CLUSTER_STATES, p.get("state")) ?? "",
    sort: oneOf(SORT_KEYS, p.get("sort")) ?? "name",
    descending: p.get("dir") === "desc",
  };
}

/** The query string for `q` ("" for the defaults), in a fixed order. */
export function listQueryString(q: ListQuery): string {
  const p = new URLSearchParams();
  if (q.search) p.set("q", q.search);
  if (q.state) p.set("state", q.state);
  if (q.sort !== "name") p.set("sort", q.sort);
  if (q.descending) p.set("dir", "desc");
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Search matches the name, display name, description or mesh IP, case-insensitively. */
export function matches(c: Cluster, q: ListQuery): boolean {
  if (q.state && clusterState(c) !== q.state) return false;
  const needle = q.search.trim().toLowerCase();
  if (!needle) return true;
  return [c.name, c.displayName, c.description, c.meshIp].some((f) => f.toLowerCase().includes(needle));
}

// Failures first when sorting by state: they are what the admin must act on.
const STATE_ORDER: Record<ClusterState, number> = {
  failed: 0,
  revoked: 1,
  offline: 2,
  degraded: 3,
  waiting: 4,
  connected: 5,
};

function compareBy(key: SortKey, a: Cluster, b: Cluster): number {
  switch (key) {
    case "name":
      return a.displayName.localeCompare(b.displayName) || a.name.localeCompare(b.name);
    case "state":
      return STATE_ORDER[clusterState(a)] - STATE_ORDER[clusterState(b)];
    case "lastSeen": {
      // Most recent first; never seen last.
      const at = (c: Cluster) => (c.status.lastSeen ? Date.parse(c.status.lastSeen) : -Infinity);
      return at(b) - at(a);
    }
    case "rtt": {
      const rtt = (c: Cluster) => rttSummary(c.status.peers)?.min ?? Infinity;
      const d = rtt(a) - rtt(b);
      return Number.isNaN(d) ? 0 : d;
    }
  }
}

/** A sorted copy; ties fall back to the name, so the order is stable across refreshes. */
export function sortClusters(items: readonly Cluster[], q: ListQuery): Cluster[] {
  const sign = q.descending ? -1 : 1;
  return [...items].sort((a, b) => sign * compareBy(q.sort, a, b) || a.name.localeCompare(b.name));
}
