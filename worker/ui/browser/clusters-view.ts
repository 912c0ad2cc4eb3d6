// The Clusters table, refreshed every 2 s. Rows and cells are updated in place, so a focused link
// keeps its focus across refreshes.
import type { Cluster } from "../../../protocol/api.ts";
import { listClusters, messageOf } from "./api.ts";
import { openConnectDrawer } from "./connect-drawer.ts";
import { type Child, h } from "./dom.ts";
import { ago, onlineBadge, pathSummary, phaseText, timeEl } from "./format.ts";
import { clusterPagePath, REFRESH_MS } from "./navigation.ts";
import { poll } from "./poll.ts";
import type { View } from "./view.ts";

interface Column {
  key: string;
  label: string;
  cell(c: Cluster): Child;
  /** Changes exactly when the cell's content would; an unchanged cell is left alone. */
  signature(c: Cluster): string;
}

const CLUSTER_COLUMNS: readonly Column[] = [
  {
    key: "displayName",
    label: "Display name",
    cell: (c) => [
      h("a", { href: clusterPagePath(c.name) }, c.displayName),
      c.local ? h("span", { class: "tag" }, "local") : null,
    ],
    signature: (c) => `${c.displayName}|${c.local}`,
  },
  { key: "name", label: "Name", cell: (c) => h("code", null, c.name), signature: (c) => c.name },
  {
    key: "phase",
    label: "Phase",
    cell: (c) => [
      h("span", { title: c.status.message || "" }, phaseText(c.status)),
      c.status.reason ? h("span", { class: "sub" }, c.status.reason) : null,
    ],
    signature: (c) => [c.status.phase, c.status.reason, c.status.message].join("|"),
  },
  {
    key: "online",
    label: "Online",
    cell: (c) => onlineBadge(c.status.online),
    signature: (c) => String(c.status.online),
  },
  {
    key: "paths",
    label: "Paths",
    cell: (c) => {
      const s = pathSummary(c.status.peers);
      return h("span", { title: s.title, class: s.title ? "" : "muted" }, s.text);
    },
    signature: (c) => JSON.stringify(pathSummary(c.status.peers)),
  },
  {
    key: "agentVersion",
    label: "Agent version",
    cell: (c) => (c.status.agentVersion ? c.status.agentVersion : h("span", { class: "muted" }, "—")),
    signature: (c) => String(c.status.agentVersion),
  },
  {
    key: "lastSeen",
    label: "Last seen",
    cell: (c) => timeEl(c.status.lastSeen),
    signature: (c) => `${c.status.lastSeen}|${ago(c.status.lastSeen)}`,
  },
  { key: "meshIp", label: "Mesh IP", cell: (c) => h("code", null, c.meshIp), signature: (c) => c.meshIp },
];

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  sigs: (string | null)[];
}

export function clustersView(): View {
  const rows = new Map<string, Row>();
  const tbody = h("tbody");
  const empty = h(
    "p",
    { class: "empty", hidden: true },
    "No clusters yet. Use Connect Cluster to add the first one.",
  );
  const problem = h("p", { class: "form-error", role: "alert" });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const connectButton: HTMLButtonElement = h(
    "button",
    { type: "button", class: "primary", onclick: (): void => openConnectDrawer(connectButton, refreshShown) },
    "Connect Cluster",
  );
  const table = h(
    "table",
    { class: "clusters" },
    h("caption", { class: "visually-hidden" }, "Connected clusters"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        CLUSTER_COLUMNS.map((col) => h("th", { scope: "col" }, col.label)),
      ),
    ),
    tbody,
  );

  function upsert(cluster: Cluster, index: number): void {
    let row = rows.get(cluster.name);
    if (!row) {
      const created: Row = { tr: h("tr", { dataset: { cluster: cluster.name } }), cells: [], sigs: [] };
      for (const col of CLUSTER_COLUMNS) {
        const td = h("td", { dataset: { label: col.label, column: col.key } });
        created.cells.push(td);
        created.sigs.push(null);
        created.tr.append(td);
      }
      rows.set(cluster.name, created);
      row = created;
    }
    const current = row;
    CLUSTER_COLUMNS.forEach((col, i) => {
      const sig = col.signature(cluster);
      const cell = current.cells[i];
      if (current.sigs[i] === sig || cell === undefined) return;
      current.sigs[i] = sig;
      cell.replaceChildren(h("div", { class: "cell" }, col.cell(cluster)));
    });
    if (tbody.children[index] !== current.tr) tbody.insertBefore(current.tr, tbody.children[index] ?? null);
  }

  async function refresh(): Promise<void> {
    let items: Cluster[];
    try {
      items = await listClusters();
      problem.textContent = "";
    } catch (err) {
      problem.textContent = `Could not load clusters: ${messageOf(err)}`;
      throw err;
    }
    const seen = new Set<string>();
    items.forEach((c, i) => {
      seen.add(c.name);
      upsert(c, i);
    });
    for (const [name, row] of rows) {
      if (!seen.has(name)) {
        row.tr.remove();
        rows.delete(name);
      }
    }
    empty.hidden = items.length !== 0;
    table.hidden = items.length === 0;
    const online = items.filter((c) => c.status.online).length;
    count.textContent =
      items.length === 0
        ? ""
        : `${items.length}${items.length === 1 ? " cluster, " : " clusters, "}${online} online`;
  }

  // After the drawer closes; a failure is already on the page, in `problem`.
  function refreshShown(): void {
    refresh().catch(() => {});
  }

  const stop = poll(refresh, REFRESH_MS);
  const el = h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Clusters"), count), connectButton),
    problem,
    h("div", { class: "table-wrap" }, table),
    empty,
  );
  return { el, stop };
}
