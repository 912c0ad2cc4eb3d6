/** Plain-text rendering for humans. Pure functions so tests can pin the exact text. */
import { accessKeyState } from "../../protocol/access-key-state.ts";
import type { AccessKey, Cluster, ClusterEvent, PeerStatus } from "../../protocol/api.ts";
import { peerPathCounts } from "../../protocol/peer-paths.ts";

/** Left-aligned columns separated by three spaces, like kubectl, with no trailing blanks. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

/** `key: value` lines with the values aligned. */
export function renderKeyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return pairs
    .map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`.trimEnd())
    .join("\n")
    .concat("\n");
}

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago"; "-" when never. */
export function formatAge(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "-";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  if (seconds < 1) return "just now";
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export const CLUSTER_LIST_HEADERS = [
  "NAME",
  "DISPLAY NAME",
  "LOCAL",
  "PHASE",
  "ONLINE",
  "LAST SEEN",
  "VERSION",
  "MESH IP",
  "PATHS",
] as const;

/** The agent's paths; an offline cluster's last report is not current, so "-" rather than stale counts. */
export function pathSummary(online: boolean, peers: readonly PeerStatus[]): string {
  return online ? peerPathCounts(peers) : "-";
}

/** The phase, with the reason when it failed: "Failed (CredentialRevoked)"; "-" when none. */
export function phaseWithReason(status: Cluster["status"]): string {
  if (status.phase === "") return "-";
  return status.phase === "Failed" && status.reason !== "" ? `Failed (${status.reason})` : status.phase;
}

export function clusterRow(cluster: Cluster, now: number = Date.now()): string[] {
  return [
    cluster.name,
    cluster.displayName,
    cluster.local ? "yes" : "-",
    phaseWithReason(cluster.status),
    cluster.status.online ? "yes" : "no",
    formatAge(cluster.status.lastSeen, now),
    cluster.status.agentVersion ?? "-",
    cluster.meshIp,
    pathSummary(cluster.status.online, cluster.status.peers),
  ];
}

export function renderClusterList(clusters: readonly Cluster[], now: number = Date.now()): string {
  if (clusters.length === 0)
    return "No clusters yet. Add one with: tether cluster add NAME --display-name TEXT\n";
  return renderTable(
    CLUSTER_LIST_HEADERS,
    clusters.map((c) => clusterRow(c, now)),
  );
}

export function renderCluster(cluster: Cluster, now: number = Date.now()): string {
  const s = cluster.status;
  const annotations = Object.entries(cluster.annotations);
  const pairs: [string, string][] = [
    ["Name", cluster.name],
    ["Display name", cluster.displayName],
    ["Description", cluster.description || "-"],
    ["Local", cluster.local ? "yes" : "no"],
    ["Mesh IP", cluster.meshIp],
    ["Created", cluster.createdAt],
    ["Phase", s.phase || "-"],
    ["Reason", s.reason || "-"],
    ["Message", s.message || "-"],
    ["Online", s.online ? "yes" : "no"],
    ["Last seen", s.lastSeen ? `${s.lastSeen} (${formatAge(s.lastSeen, now)})` : "-"],
    ["Agent version", s.agentVersion ?? "-"],
    ["Endpoints", s.endpoints.length > 0 ? s.endpoints.join(", ") : "-"],
    ["Paths", pathSummary(s.online, s.peers)],
    ["Values applied", s.values === null ? "-" : s.values.applied.join(", ") || "none"],
    [
      "Values rejected",
      s.values === null ? "-" : s.values.rejected.map((r) => `${r.path}: ${r.message}`).join("; ") || "none",
    ],
    ["Annotations", annotations.length > 0 ? "" : "-"],
  ];
  let text = renderKeyValues(pairs);
  for (const [key, value] of annotations) text += `  ${key}: ${indentContinuation(value)}\n`;
  if (s.peers.length > 0) {
    text += "Peers:\n";
    const table = renderTable(
      ["CLUSTER", "PATH", "ENDPOINT", "RTT", "RX", "TX", "HANDSHAKE"],
      s.peers.map((p) => [
        p.cluster,
        p.path,
        p.endpoint ?? "-",
        p.rttMs === null ? "-" : `${p.rttMs} ms`,
        formatBytes(p.rxBytes),
        formatBytes(p.txBytes),
        p.lastHandshakeAgeSeconds === null ? "-" : `${p.lastHandshakeAgeSeconds}s ago`,
      ]),
    );
    text += table
      .split("\n")
      .map((l) => (l ? `  ${l}` : l))
      .join("\n");
  }
  text += renderConditions(s.conditions, now);
  return text;
}

/** "in 3d", "in 5h", ...; "-" when never. */
export function formatUntil(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  if (at <= now) return `${formatAge(iso, now)}`;
  const seconds = Math.floor((at - now) / 1000);
  if (seconds < 120) return `in ${seconds}s`;
  if (seconds < 7200) return `in ${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `in ${Math.floor(seconds / 3600)}h`;
  return `in ${Math.floor(seconds / 86_400)}d`;
}

export function renderKeyList(keys: readonly AccessKey[], now: number = Date.now()): string {
  if (keys.length === 0) return "No access keys yet. Create one with: tether key create NAME --scope SCOPE\n";
  return renderTable(
    ["ID", "NAME", "SCOPE", "CLUSTER", "STATE", "CREATED", "LAST USED", "EXPIRES"],
    keys.map((k) => [
      k.id,
      k.name,
      k.scope,
      k.cluster ?? "-",
      accessKeyState(k, now),
      formatAge(k.createdAt, now),
      k.lastUsedAt === null ? "never" : formatAge(k.lastUsedAt, now),
      formatUntil(k.expiresAt, now),
    ]),
  );
}

/** Oldest first, as given; the message last so it may run long. */
export function renderEvents(events: readonly ClusterEvent[]): string {
  if (events.length === 0) return "No events yet.\n";
  return renderTable(
    ["TIME", "TYPE", "REASON", "MESSAGE"],
    events.map((e) => [e.at, e.type, e.reason, e.message]),
  );
}

/** The cluster's conditions as a table under "Conditions:", or nothing when it has none. */
export function renderConditions(conditions: Cluster["status"]["conditions"], now: number): string {
  if (conditions.length === 0) return "";
  const table = renderTable(
    ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
    conditions.map((c) => [
      c.type,
      c.status,
      c.reason,
      formatAge(c.lastTransitionTime, now),
      c.message || "-",
    ]),
  );
  return `Conditions:\n${table
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n")}`;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// Multi-line annotation values (YAML) stay readable under their key.
function indentContinuation(value: string): string {
  const trimmed = value.replace(/\n+$/, "");
  return trimmed.includes("\n") ? `|\n${trimmed.replace(/^/gm, "    ")}` : trimmed;
}
