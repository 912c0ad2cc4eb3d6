// One cluster. Overview (status and peers, refreshed every 2 s), Agent (Extra Agent Values, effective
// values and their helm --values URLs, PSK rotation) and Settings (display name, description, delete).
import type { Cluster } from "../../../protocol/api.ts";
import { ApiError, api, clusterPath, messageOf } from "./api.ts";
import { agentPanel } from "./cluster-agent-tab.ts";
import { settingsPanel } from "./cluster-settings-tab.ts";
import { h, setChildren } from "./dom.ts";
import { bytes, onlineBadge, phaseText, timeEl } from "./format.ts";
import { REFRESH_MS, UI_BASE } from "./navigation.ts";
import { poll } from "./poll.ts";
import { tabs } from "./tabs.ts";
import type { View } from "./view.ts";

export function clusterDetailView(name: string): View {
  const heading = h("h1", null, name);
  const subtitle = h("p", { class: "muted" });
  const problem = h("p", { class: "form-error", role: "alert" });
  const overview = h("div");
  const agent = h("div");
  const settings = h("div");
  const tabSet = tabs("Cluster", [
    { key: "overview", label: "Overview", content: overview },
    { key: "agent", label: "Agent", content: agent },
    { key: "settings", label: "Settings", content: settings },
  ]);
  const body = h("div", { hidden: true }, tabSet.el);
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
    body,
  );

  let stopped = false;
  let stop = () => {
    stopped = true;
  };

  function showHeader(cluster: Cluster): void {
    heading.textContent = cluster.displayName;
    document.title = `${cluster.displayName} · Tether`;
    setChildren(
      subtitle,
      h("code", null, cluster.name),
      " ",
      onlineBadge(cluster.status.online),
      cluster.local ? h("span", { class: "tag" }, "local") : null,
    );
  }

  async function load(): Promise<void> {
    let cluster: Cluster;
    try {
      cluster = await api<Cluster>("GET", clusterPath(name));
    } catch (err) {
      problem.textContent =
        err instanceof ApiError && err.status === 404
          ? `There is no cluster named ${name}.`
          : `Could not load the cluster: ${messageOf(err)}`;
      return;
    }
    if (stopped) return;
    body.hidden = false;
    showHeader(cluster);
    const status = statusPanel(overview);
    status.update(cluster);
    agentPanel(agent, cluster);
    settingsPanel(settings, cluster, showHeader);
    const stopPoll = poll(async () => {
      const current = await api<Cluster>("GET", clusterPath(name));
      showHeader(current);
      status.update(current);
    }, REFRESH_MS);
    stop = () => {
      stopped = true;
      stopPoll();
    };
  }
  void load();

  return { el, stop: () => stop() };
}

const MUTED_DASH = () => h("span", { class: "muted" }, "—");

function statusPanel(root: HTMLElement): { update(c: Cluster): void } {
  const dl = h("dl", { class: "facts" });
  const peersBody = h("tbody");
  const noPeers = h("p", { class: "muted" }, "No peers reported yet.");
  const peerColumns = ["Peer", "Path", "Endpoint", "RTT", "Received", "Sent", "Last handshake"];
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
  root.append(
    h("h2", null, "Status"),
    dl,
    h("h2", null, "Peers"),
    h("div", { class: "table-wrap" }, peersTable),
    noPeers,
  );
  function fact(term: string, value: Node | string | readonly Node[]): HTMLElement[] {
    return [h("dt", null, term), h("dd", null, value)];
  }
  return {
    update(c: Cluster) {
      const s = c.status;
      dl.replaceChildren(
        ...fact("Phase", phaseText(s)),
        ...fact("Reason", s.reason || MUTED_DASH()),
        ...fact("Message", s.message || MUTED_DASH()),
        ...fact("Online", onlineBadge(s.online)),
        ...fact("Last seen", timeEl(s.lastSeen)),
        ...fact("Agent version", s.agentVersion || MUTED_DASH()),
        ...fact("Mesh IP", h("code", null, c.meshIp)),
        ...fact(
          "Endpoints",
          s.endpoints.length ? s.endpoints.map((e) => h("code", { class: "chip" }, e)) : MUTED_DASH(),
        ),
        ...fact("Created", timeEl(c.createdAt)),
      );
      peersBody.replaceChildren(
        ...s.peers.map((p) =>
          h(
            "tr",
            null,
            h("td", { dataset: { label: "Peer" } }, p.cluster),
            h("td", { dataset: { label: "Path" } }, h("span", { class: `path ${p.path}` }, p.path)),
            h("td", { dataset: { label: "Endpoint" } }, p.endpoint ? h("code", null, p.endpoint) : "—"),
            h("td", { dataset: { label: "RTT" } }, p.rttMs === null ? "—" : `${p.rttMs} ms`),
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
      peersTable.hidden = s.peers.length === 0;
      noPeers.hidden = s.peers.length !== 0;
    },
  };
}
