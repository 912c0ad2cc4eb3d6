// One cluster. Overview (state, failures with their fix, Reconnect, peers; refreshed every 2 s),
// Agent (Extra Agent Values, effective values and their helm --values URLs, PSK rotation), Events
// (the cluster's history) and Settings (display name, description, delete). Each tab has its path.
import type { Cluster, ClusterDetail } from "../../../protocol/api.ts";
import { ApiError, api, clusterPath, messageOf } from "./api.ts";
import { agentPanel } from "./cluster-agent-tab.ts";
import { type ClusterEvent, recentFailure } from "./cluster-events.ts";
import { eventsPanel } from "./cluster-events-tab.ts";
import { settingsPanel } from "./cluster-settings-tab.ts";
import { clusterState, failureFix, stateBadge } from "./cluster-state.ts";
import { h, setChildren } from "./dom.ts";
import { bytes, phaseText, timeEl } from "./format.ts";
import { freshness } from "./freshness.ts";
import {
  CLUSTER_TABS,
  type ClusterTab,
  clusterPagePath,
  REFRESH_MS,
  replaceLocation,
  UI_BASE,
} from "./navigation.ts";
import { poll } from "./poll.ts";
import { openReconnectDrawer, reconnectLabel } from "./reconnect-drawer.ts";
import { confirmAndRevoke, REVOKE_LABEL } from "./revoke-agent.ts";
import { tabs } from "./tabs.ts";
import type { View } from "./view.ts";

export function clusterDetailView(name: string, tab: ClusterTab): View {
  const heading = h("h1", null, name);
  const subtitle = h("p", { class: "muted" });
  const problem = h("p", { class: "form-error", role: "alert" });
  const loading = h("p", { class: "loading-state", role: "status" }, "Loading the cluster…");
  const overview = h("div");
  const agent = h("div");
  const events = h("div");
  const settings = h("div");
  const tabSet = tabs(
    "Cluster",
    [
      { key: "overview", label: "Overview", content: overview },
      { key: "agent", label: "Agent", content: agent },
      { key: "events", label: "Events", content: events },
      { key: "settings", label: "Settings", content: settings },
    ],
    {
      initial: CLUSTER_TABS.indexOf(tab),
      onSelect: (item) => replaceLocation(clusterPagePath(name, item.key as ClusterTab)),
    },
  );
  const body = h("div", { hidden: true }, tabSet.el);
  const fresh = freshness({
    refreshMs: REFRESH_MS,
    onChange: (stale) => body.classList.toggle("stale", stale),
  });
  const el = h(
    "section",
    { class: "page" },
    h(
      "nav",
      { class: "breadcrumb", "aria-label": "Breadcrumb" },
      h("a", { href: UI_BASE }, "Clusters"),
      h("span", { "aria-hidden": "true" }, " / "),
      h("span", { "aria-current": "page" }, name),
    ),
    h("div", { class: "page-head" }, h("div", null, heading, subtitle)),
    problem,
    fresh.el,
    loading,
    body,
  );

  let stopped = false;
  let stopAll = () => {
    stopped = true;
  };

  function showHeader(cluster: Cluster): void {
    heading.textContent = cluster.displayName;
    document.title = `${cluster.displayName} · Tether`;
    setChildren(
      subtitle,
      h("code", null, cluster.name),
      " ",
      stateBadge(clusterState(cluster)),
      cluster.local ? h("span", { class: "tag" }, "local") : null,
    );
  }

  async function load(): Promise<void> {
    let cluster: ClusterDetail;
    try {
      cluster = await api<ClusterDetail>("GET", clusterPath(name));
    } catch (err) {
      loading.hidden = true;
      problem.textContent =
        err instanceof ApiError && err.status === 404
          ? `There is no cluster named ${name}.`
          : `Could not load the cluster: ${messageOf(err)}`;
      return;
    }
    if (stopped) return;
    loading.hidden = true;
    body.hidden = false;
    fresh.loaded();
    showHeader(cluster);
    const status = statusPanel(overview, cluster, (revoked) => {
      showHeader(revoked);
      status.update(revoked);
    });
    status.update(cluster);
    const agentTab = agentPanel(agent, cluster);
    const eventsTab = eventsPanel(events, name);
    settingsPanel(settings, cluster, showHeader);
    const stopPoll = poll(async () => {
      let current: ClusterDetail;
      try {
        current = await api<ClusterDetail>("GET", clusterPath(name));
      } catch (err) {
        fresh.failed(`Could not refresh the cluster: ${messageOf(err)}`);
        throw err;
      }
      fresh.loaded();
      showHeader(current);
      status.update(current);
      agentTab.update(current);
      // A refused registration leaves the cluster's status alone (a guess must not change it); the
      // cluster's events say why its agent is not connected.
      const state = clusterState(current);
      status.showRefusal(
        state === "waiting" || state === "offline"
          ? await recentFailure(name, Date.parse(current.createdAt))
          : null,
      );
    }, REFRESH_MS);
    stopAll = () => {
      stopped = true;
      stopPoll();
      eventsTab.stop();
    };
  }
  void load();

  return {
    el,
    stop: () => {
      fresh.stop();
      stopAll();
    },
  };
}

const MUTED_DASH = () => h("span", { class: "muted" }, "—");

interface StatusPanel {
  update(c: ClusterDetail): void;
  /** A refused registration from the cluster's events, shown like a failed status (null: none). */
  showRefusal(event: ClusterEvent | null): void;
}

function statusPanel(
  root: HTMLElement,
  initial: ClusterDetail,
  onRevoked: (cluster: ClusterDetail) => void,
): StatusPanel {
  let cluster = initial;
  let refusal: ClusterEvent | null = null;
  const dl = h("dl", { class: "facts" });
  const failure = h("div", { class: "failure", role: "alert", hidden: true });
  const reconnect: HTMLButtonElement = h(
    "button",
    {
      type: "button",
      class: "secondary",
      id: "reconnect",
      onclick: () => openReconnectDrawer({ opener: reconnect, cluster }),
    },
    reconnectLabel(initial),
  );
  const revoke: HTMLButtonElement = h(
    "button",
    {
      type: "button",
      class: "danger",
      id: "revoke-agent",
      onclick: async () => {
        const revoked = await confirmAndRevoke(cluster);
        if (revoked) onRevoked(revoked);
      },
    },
    REVOKE_LABEL,
  );
  const peersBody = h("tbody");
  const noPeers = h("p", { class: "muted" }, "No peers reported yet.");
  const pathsNote = h(
    "p",
    { class: "stale-note", hidden: true },
    "The agent is offline: these are the last paths it reported, not current ones.",
  );
  const conditionsBody = h("tbody");
  const conditionsTable = h(
    "table",
    { class: "conditions" },
    h("caption", { class: "visually-hidden" }, "Conditions"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ["Condition", "Status", "Reason", "Since", "Message"].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    conditionsBody,
  );
  const peerColumns = ["Peer", "Path", "Endpoint", "RTT", "Relay at", "Received", "Sent", "Last handshake"];
  const peersTable = h(
    "table",
    { class: "peers" },
    h("caption", { class: "visually-hidden" }, "Peers"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        peerColumns.map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    peersBody,
  );
  const peersWrap = h("div", { class: "table-wrap" }, peersTable);
  root.append(
    failure,
    h("h2", null, "Status"),
    dl,
    h(
      "div",
      { class: "actions" },
      reconnect,
      h(
        "span",
        { class: "hint" },
        "Rotates the PSK and shows new connect commands; the next agent that registers with them takes this cluster over, even from a fresh state.",
      ),
    ),
    h(
      "div",
      { class: "actions" },
      revoke,
      h("span", { class: "hint" }, "Cuts the agent off now and keeps the cluster; Reconnect brings it back."),
    ),
    h("h2", null, "Conditions"),
    h("div", { class: "table-wrap" }, conditionsTable),
    h("h2", null, "Peers"),
    pathsNote,
    peersWrap,
    noPeers,
  );
  function fact(term: string, value: Node | string | readonly Node[]): HTMLElement[] {
    return [h("dt", null, term), h("dd", null, value)];
  }
  function showFailure(): void {
    const s = cluster.status;
    const state = clusterState(cluster);
    // A revoked agent is shown like a failure: the admin did it, and Reconnect undoes it.
    const failed = state === "failed" || state === "revoked";
    const reason = failed ? s.reason || "registration failed" : (refusal?.reason ?? "");
    const message = failed ? s.message : (refusal?.message ?? "");
    failure.hidden = reason === "";
    const fix = failureFix(reason);
    const title =
      state === "revoked"
        ? "Agent revoked"
        : failed
          ? `Failed: ${reason}`
          : `Registration refused: ${reason}`;
    setChildren(
      failure,
      h("h2", null, title),
      fix ? h("p", { class: "fix" }, fix) : null,
      message ? h("p", { class: "muted" }, message) : null,
      !failed && refusal ? h("p", { class: "muted" }, "At ", timeEl(refusal.at), ".") : null,
    );
  }

  return {
    showRefusal(event: ClusterEvent | null) {
      refusal = event;
      showFailure();
    },
    update(c: ClusterDetail) {
      cluster = c;
      const s = c.status;
      const state = clusterState(c);
      reconnect.textContent = reconnectLabel(c);
      revoke.disabled = state === "revoked";
      showFailure();
      dl.replaceChildren(
        ...fact("State", stateBadge(state)),
        ...fact("Phase", phaseText(s)),
        ...fact("Reason", s.reason || MUTED_DASH()),
        ...fact("Message", s.message || MUTED_DASH()),
        ...fact("Last seen", timeEl(s.lastSeen)),
        ...fact("Agent version", s.agentVersion || MUTED_DASH()),
        ...fact("Mesh IP", h("code", null, c.meshIp)),
        ...fact(
          "Endpoints",
          s.endpoints.length ? s.endpoints.map((e) => h("code", { class: "chip" }, e)) : MUTED_DASH(),
        ),
        ...fact("Created", timeEl(c.createdAt)),
      );
      // All six conditions, always: "False" rows say what is fine, with the time it last changed.
      conditionsBody.replaceChildren(
        ...s.conditions.map((k) =>
          h(
            "tr",
            { dataset: { condition: k.type, status: k.status } },
            h("td", { dataset: { label: "Condition" } }, k.type),
            h("td", { dataset: { label: "Status" } }, k.status),
            h("td", { dataset: { label: "Reason" } }, k.reason),
            h("td", { dataset: { label: "Since" } }, timeEl(k.lastTransitionTime)),
            h("td", { dataset: { label: "Message" } }, k.message || MUTED_DASH()),
          ),
        ),
      );
      peersBody.replaceChildren(
        ...s.peers.map((p) =>
          h(
            "tr",
            { dataset: { peer: p.cluster } },
            h("td", { dataset: { label: "Peer" } }, h("a", { href: clusterPagePath(p.cluster) }, p.cluster)),
            h("td", { dataset: { label: "Path" } }, h("span", { class: `path ${p.path}` }, p.path)),
            h("td", { dataset: { label: "Endpoint" } }, p.endpoint ? h("code", null, p.endpoint) : "—"),
            h("td", { dataset: { label: "RTT" } }, p.rttMs === null ? "—" : `${Math.round(p.rttMs)} ms`),
            h("td", { dataset: { label: "Relay at" } }, relayAt(c.relays[p.cluster])),
            h("td", { dataset: { label: "Received" } }, bytes(p.rxBytes)),
            h("td", { dataset: { label: "Sent" } }, bytes(p.txBytes)),
            h(
              "td",
              { dataset: { label: "Last handshake" } },
              p.lastHandshakeAgeSeconds === null ? "never" : `${p.lastHandshakeAgeSeconds} s ago`,
            ),
          ),
        ),
      );
      // An offline agent's last report is history: greyed and labelled, never shown as current.
      peersWrap.classList.toggle("stale", !s.online && s.peers.length > 0);
      pathsNote.hidden = s.online || s.peers.length === 0;
      peersWrap.hidden = s.peers.length === 0;
      noPeers.hidden = s.peers.length !== 0;
    },
  };
}

/** Where the pair's relay object was placed ("apac", "weur in eu"), or a dash before it exists. */
function relayAt(placement: ClusterDetail["relays"][string] | undefined): string {
  if (placement === undefined) return "—";
  const hint = placement.locationHint ?? "no hint";
  return placement.jurisdiction === null ? hint : `${hint} in ${placement.jurisdiction}`;
}
