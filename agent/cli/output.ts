/** Plain-text rendering for humans. Pure functions so tests can pin the exact text. */
import type { Cluster } from "../../protocol/api.ts";

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
  "PHASE",
  "ONLINE",
  "LAST SEEN",
  "VERSION",
  "MESH IP",
] as const;

export function clusterRow(cluster: Cluster, now: number = Date.now()): string[] {
  return [
    cluster.name,
    cluster.displayName,
    cluster.status.phase || "-",
    cluster.status.online ? "yes" : "no",
    formatAge(cluster.status.lastSeen, now),
    cluster.status.agentVersion ?? "-",
    cluster.meshIp,
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
