// Browser JavaScript (see ../app-script.ts): one cluster. Overview (status and peers, refreshed
// every 2 s), Agent (Extra Agent Values, effective values and their helm --values URLs, PSK
// rotation) and Settings (display name, description, delete).
export const CLUSTER_DETAIL_JS = String.raw`
function clusterDetailView(name) {
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
  const el = h("section", { class: "page" },
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: UI_BASE }, "Clusters"), h("span", { "aria-hidden": "true" }, " / "), h("span", { "aria-current": "page" }, name)),
    h("div", { class: "page-head" }, h("div", null, heading, subtitle)),
    problem,
    body,
  );

  let loaded = false;
  let stopped = false;
  let stop = function () { stopped = true; };
  (async function () {
    let cluster;
    try {
      cluster = await api("GET", clusterPath(name));
    } catch (err) {
      problem.textContent = err.status === 404 ? "There is no cluster named " + name + "." : "Could not load the cluster: " + err.message;
      return;
    }
    if (stopped) return;
    loaded = true;
    body.hidden = false;
    showHeader(cluster);
    const status = statusPanel(overview);
    status.update(cluster);
    agentPanel(agent, cluster);
    settingsPanel(settings, cluster, showHeader);
    const stopPoll = poll(async function () {
      const current = await api("GET", clusterPath(name));
      showHeader(current);
      status.update(current);
    }, REFRESH_MS);
    stop = function () { stopped = true; stopPoll(); };
  })();

  function showHeader(cluster) {
    heading.textContent = cluster.displayName;
    document.title = cluster.displayName + " · Tether";
    setChildren(subtitle, h("code", null, cluster.name), " ", onlineBadge(cluster.status.online), cluster.local ? h("span", { class: "tag" }, "local") : null);
  }

  return { el: el, stop: function () { stop(); } };
}

function statusPanel(root) {
  const dl = h("dl", { class: "facts" });
  const peersBody = h("tbody");
  const noPeers = h("p", { class: "muted" }, "No peers reported yet.");
  const peersTable = h("table", { class: "peers" },
    h("caption", { class: "visually-hidden" }, "Peers"),
    h("thead", null, h("tr", null, ["Peer", "Path", "Endpoint", "RTT", "Received", "Sent", "Last handshake"].map(function (t) { return h("th", { scope: "col" }, t); }))),
    peersBody,
  );
  root.append(h("h2", null, "Status"), dl, h("h2", null, "Peers"), h("div", { class: "table-wrap" }, peersTable), noPeers);
  function fact(term, value) {
    return [h("dt", null, term), h("dd", null, value)];
  }
  return {
    update: function (c) {
      const s = c.status;
      dl.replaceChildren.apply(dl, [].concat(
        fact("Phase", phaseText(s)),
        fact("Reason", s.reason || h("span", { class: "muted" }, "—")),
        fact("Message", s.message || h("span", { class: "muted" }, "—")),
        fact("Online", onlineBadge(s.online)),
        fact("Last seen", timeEl(s.lastSeen)),
        fact("Agent version", s.agentVersion || h("span", { class: "muted" }, "—")),
        fact("Mesh IP", h("code", null, c.meshIp)),
        fact("Endpoints", s.endpoints.length ? s.endpoints.map(function (e) { return h("code", { class: "chip" }, e); }) : h("span", { class: "muted" }, "—")),
        fact("Created", timeEl(c.createdAt)),
      ));
      peersBody.replaceChildren.apply(peersBody, s.peers.map(function (p) {
        return h("tr", null,
          h("td", { dataset: { label: "Peer" } }, p.cluster),
          h("td", { dataset: { label: "Path" } }, h("span", { class: "path " + p.path }, p.path)),
          h("td", { dataset: { label: "Endpoint" } }, p.endpoint ? h("code", null, p.endpoint) : "—"),
          h("td", { dataset: { label: "RTT" } }, p.rttMs === null ? "—" : p.rttMs + " ms"),
          h("td", { dataset: { label: "Received" } }, bytes(p.rxBytes)),
          h("td", { dataset: { label: "Sent" } }, bytes(p.txBytes)),
          h("td", { dataset: { label: "Last handshake" } }, p.lastHandshakeAgeSeconds === null ? "never" : p.lastHandshakeAgeSeconds + " s ago"),
        );
      }));
      peersTable.hidden = s.peers.length === 0;
      noPeers.hidden = s.peers.length !== 0;
    },
  };
}
`;
