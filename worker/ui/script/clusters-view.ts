// Browser JavaScript (see ../app-script.ts): the Clusters table, refreshed every 2 s. Rows and
// cells are updated in place, so a focused link keeps its focus across refreshes.
export const CLUSTERS_VIEW_JS = String.raw`
const REFRESH_MS = 2000;

const CLUSTER_COLUMNS = [
  { key: "displayName", label: "Display name", cell: function (c) {
    return [h("a", { href: UI_BASE + "/clusters/" + encodeURIComponent(c.name) }, c.displayName), c.local ? h("span", { class: "tag" }, "local") : null];
  } },
  { key: "name", label: "Name", cell: function (c) { return h("code", null, c.name); } },
  { key: "phase", label: "Phase", cell: function (c) {
    return [h("span", { title: c.status.message || "" }, phaseText(c.status)), c.status.reason ? h("span", { class: "sub" }, c.status.reason) : null];
  } },
  { key: "online", label: "Online", cell: function (c) { return onlineBadge(c.status.online); } },
  { key: "paths", label: "Paths", cell: function (c) {
    const s = pathSummary(c.status.peers);
    return h("span", { title: s.title, class: s.title ? "" : "muted" }, s.text);
  } },
  { key: "agentVersion", label: "Agent version", cell: function (c) {
    return c.status.agentVersion ? c.status.agentVersion : h("span", { class: "muted" }, "—");
  } },
  { key: "lastSeen", label: "Last seen", cell: function (c) { return timeEl(c.status.lastSeen); } },
  { key: "meshIp", label: "Mesh IP", cell: function (c) { return h("code", null, c.meshIp); } },
];

function cellSignature(column, cluster) {
  if (column.key === "lastSeen") return cluster.status.lastSeen + "|" + ago(cluster.status.lastSeen);
  if (column.key === "displayName") return cluster.displayName + "|" + cluster.local;
  if (column.key === "phase") return [cluster.status.phase, cluster.status.reason, cluster.status.message].join("|");
  if (column.key === "online") return String(cluster.status.online);
  if (column.key === "paths") return JSON.stringify(pathSummary(cluster.status.peers));
  if (column.key === "agentVersion") return String(cluster.status.agentVersion);
  return String(cluster[column.key]);
}

function clustersView() {
  const rows = new Map();
  const tbody = h("tbody");
  const empty = h("p", { class: "empty", hidden: true }, "No clusters yet. Use Connect Cluster to add the first one.");
  const problem = h("p", { class: "form-error", role: "alert" });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const connectButton = h("button", { type: "button", class: "primary", onclick: function () {
    openConnectDrawer(connectButton, refresh);
  } }, "Connect Cluster");
  const table = h("table", { class: "clusters" },
    h("caption", { class: "visually-hidden" }, "Connected clusters"),
    h("thead", null, h("tr", null, CLUSTER_COLUMNS.map(function (col) { return h("th", { scope: "col" }, col.label); }))),
    tbody,
  );

  function upsert(cluster, index) {
    let row = rows.get(cluster.name);
    if (!row) {
      row = { tr: h("tr", { dataset: { cluster: cluster.name } }), cells: [], sigs: [] };
      CLUSTER_COLUMNS.forEach(function (col) {
        const td = h("td", { dataset: { label: col.label, column: col.key } });
        row.cells.push(td);
        row.sigs.push(null);
        row.tr.append(td);
      });
      rows.set(cluster.name, row);
    }
    CLUSTER_COLUMNS.forEach(function (col, i) {
      const sig = cellSignature(col, cluster);
      if (row.sigs[i] === sig) return;
      row.sigs[i] = sig;
      row.cells[i].replaceChildren();
      row.cells[i].append(h("div", { class: "cell" }, col.cell(cluster)));
    });
    if (tbody.children[index] !== row.tr) tbody.insertBefore(row.tr, tbody.children[index] || null);
  }

  async function refresh() {
    let items;
    try {
      items = await listClusters();
      problem.textContent = "";
    } catch (err) {
      problem.textContent = "Could not load clusters: " + err.message;
      throw err;
    }
    const seen = new Set();
    items.forEach(function (c, i) {
      seen.add(c.name);
      upsert(c, i);
    });
    rows.forEach(function (row, name) {
      if (!seen.has(name)) {
        row.tr.remove();
        rows.delete(name);
      }
    });
    empty.hidden = items.length !== 0;
    table.hidden = items.length === 0;
    const online = items.filter(function (c) { return c.status.online; }).length;
    count.textContent = items.length === 0 ? "" : items.length + (items.length === 1 ? " cluster, " : " clusters, ") + online + " online";
  }

  const stop = poll(refresh, REFRESH_MS);
  const el = h("section", { class: "page" },
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Clusters"), count), connectButton),
    problem,
    h("div", { class: "table-wrap" }, table),
    empty,
  );
  return { el: el, stop: stop };
}
`;
