// "Waiting for agent…" under a connect command, kept live: it turns into Connected when the agent
// registers and shows, with the fix, why a registration failed (a wrong PSK, a second cluster), so a
// failure shows where the user is looking rather than only in the list behind the drawer.
import type { Cluster } from "../../../protocol/api.ts";
import { api, clusterPath } from "./api.ts";
import { recentFailure } from "./cluster-events.ts";
import { clusterState, failureFix } from "./cluster-state.ts";
import { h } from "./dom.ts";
import { REFRESH_MS } from "./navigation.ts";
import { poll } from "./poll.ts";

export interface ConnectionStatus {
  el: HTMLElement;
  /** True once the agent is connected. */
  connected(): boolean;
  stop(): void;
}

export interface ConnectionStatusOptions {
  cluster: string;
  /** Failures before this time (epoch ms, the platform's clock) are old news. */
  since: number;
  /** Connected means a heartbeat later than this (the last one before a PSK rotation; -1: any). */
  seenAfter: number;
  onConnected?: (cluster: Cluster) => void;
  /** When a registration failure is shown (the drawer then offers Reconnect). */
  onFailed?: (reason: string) => void;
}

export function connectionStatus(options: ConnectionStatusOptions): ConnectionStatus {
  const text = h("span", null, "Waiting for agent…");
  const detail = h("span", { class: "connection-detail" });
  const icon = h("span", { class: "spinner", "aria-hidden": "true" });
  const el = h(
    "div",
    { class: "connection-status waiting", role: "status", "aria-live": "polite", id: "cc-status" },
    icon,
    h("span", { class: "connection-words" }, text, detail),
  );
  let isConnected = false;

  function show(kind: "waiting" | "connected" | "failed", words: string, more: string): void {
    el.classList.remove("waiting", "connected", "failed");
    el.classList.add(kind);
    const glyph = kind === "waiting" ? "" : kind === "connected" ? "✓" : "✕";
    icon.className = kind === "waiting" ? "spinner" : "check";
    icon.textContent = glyph;
    text.textContent = words;
    detail.textContent = more;
  }

  const stop = poll(async () => {
    const current = await api<Cluster>("GET", clusterPath(options.cluster));
    const seen = current.status.lastSeen === null ? 0 : Date.parse(current.status.lastSeen);
    const state = clusterState(current);
    if (state === "failed") {
      const reason = current.status.reason || "Failed";
      show("failed", `Registration failed: ${reason}`, failureFix(reason) ?? current.status.message);
      options.onFailed?.(reason);
      return;
    }
    if (current.status.online && seen > options.seenAfter) {
      isConnected = true;
      const version = current.status.agentVersion;
      show("connected", `Connected${version ? ` (agent ${version})` : ""}`, "");
      stop();
      options.onConnected?.(current);
      return;
    }
    // A refused registration leaves the cluster untouched (a guess must not change it), so the
    // failure shows in the cluster's events.
    const failure = await recentFailure(options.cluster, options.since);
    if (failure) {
      show("failed", `Registration failed: ${failure.reason}`, failureFix(failure.reason) ?? failure.message);
      options.onFailed?.(failure.reason);
    }
  }, REFRESH_MS);

  return { el, connected: () => isConnected, stop };
}
