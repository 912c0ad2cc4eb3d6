// How status values read in tables.
import type { ClusterStatus, PeerStatus } from "../../../protocol/api.ts";
import { peerPathCounts } from "../../../protocol/peer-paths.ts";
import { h } from "./dom.ts";

/** "12 s ago", "3 min ago", … for an ISO time; `now` is the page's clock (epoch ms). */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A relative time ("12 s ago") that refreshRelativeTimes keeps counting. */
export function timeEl(iso: string | null): HTMLElement {
  if (!iso) return h("span", { class: "muted" }, "never");
  return h("time", { class: "relative", datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
}

/** An absolute date and time, for things the user plans by (expiry, creation). */
export function dateEl(iso: string | null, none = "never"): HTMLElement {
  if (!iso) return h("span", { class: "muted" }, none);
  return h("time", { datetime: iso, title: iso }, new Date(iso).toLocaleString());
}

export function refreshRelativeTimes(root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>("time.relative")) {
    const text = ago(el.dateTime, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** "2 direct, 1 relay" from the agent's per-peer report, with each peer in the title. */
export function pathSummary(peers: readonly PeerStatus[]): { text: string; title: string } {
  const title = peers
    .map((p) => `${p.cluster}: ${p.path}${p.rttMs === null ? "" : ` (${p.rttMs} ms)`}`)
    .join("\n");
  return { text: peerPathCounts(peers), title };
}

export function phaseText(status: ClusterStatus): string {
  return status.phase || "Pending";
}

/** The agent's own RTTs to its peers: "3 ms", or "3–40 ms" across several; null when none is known. */
export function rttSummary(peers: readonly PeerStatus[]): { text: string; min: number } | null {
  const rtts = peers.map((p) => p.rttMs).filter((r): r is number => r !== null);
  if (rtts.length === 0) return null;
  const min = Math.round(Math.min(...rtts));
  const max = Math.round(Math.max(...rtts));
  return { text: min === max ? `${min} ms` : `${min}–${max} ms`, min };
}
