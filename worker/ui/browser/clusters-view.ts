// The Clusters table, refreshed every 2 s, with a search, a state filter and a sort kept in the URL,
// and a menu of actions per row. Rows and cells are updated in place, so a focused link keeps its
// focus across refreshes. While the platform does not answer, the rows grey out and a banner says
// how old they are.
import type { Cluster } from "../../../protocol/api.ts";
import { api, clusterPath, listClusters, messageOf } from "./api.ts";
import {
  type ListQuery,
  listQueryString,
  matches,
  parseListQuery,
  type SortKey,
  sortClusters,
} from "./cluster-list-query.ts";
import { CLUSTER_STATES, clusterState, stateBadge, stateLabel } from "./cluster-state.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { openConnectDrawer } from "./connect-drawer.ts";
import { type Child, h, toast } from "./dom.ts";
import { pathSummary, rttSummary, timeEl } from "./format.ts";
import { freshness } from "./freshness.ts";
import { type MenuItem, menuButton } from "./menu.ts";
import { clusterPagePath, navigate, REFRESH_MS, replaceLocation, UI_BASE } from "./navigation.ts";
import { poll } from "./poll.ts";
import { openReconnectDrawer, reconnectLabel } from "./reconnect-drawer.ts";
import { confirmAndRevoke, REVOKE_LABEL } from "./revoke-agent.ts";
import type { View } from "./view.ts";

interface Column {
  key: string;
  label: string;
  /** The sort this column's header switches to, if it sorts. */
  sort?: SortKey;
  cell(c: Cluster): Child;
  /** Changes exactly when the cell's content would; an unchanged cell is left alone. */
  signature(c: Cluster): string;
}

/** What the list knows about a cluster's paths: current while it is online, last known after. */
function pathsCell(c: Cluster): Child {
  const s = pathSummary(c.status.peers);
  if (!c.status.online) {
    return c.status.peers.length === 0
      ? h("span", { class: "muted" }, "—")
      : h("span", { class: "stale-paths", title: s.title }, `last known: ${s.text}`);
  }
  return h("span", { title: s.title, class: s.title ? "" : "muted" }, s.text);
}

function rttCell(c: Cluster): Child {
  const r = c.status.online ? rttSummary(c.status.peers) : null;
  return r ? r.text : h("span", { class: "muted" }, "—");
}

const CLUSTER_COLUMNS: readonly Column[] = [
  {
    key: "displayName",
    label: "Display name",
    sort: "name",
    cell: (c) => [
      h("a", { href: clusterPagePath(c.name) }, c.displayName),
      c.local ? h("span", { class: "tag" }, "local") : null,
    ],
    signature: (c) => `${c.displayName}|${c.local}`,
  },
  { key: "name", label: "Name", cell: (c) => h("code", null, c.name), signature: (c) => c.name },
  {
    key: "state",
    label: "State",
    sort: "state",
    cell: (c) => [
      stateBadge(clusterState(c)),
      c.status.reason ? h("span", { class: "sub reason", title: c.status.message }, c.status.reason) : null,
    ],
    signature: (c) => [clusterState(c), c.status.reason, c.status.message].join("|"),
  },
  {
    key: "paths",
    label: "Paths",
    cell: pathsCell,
    signature: (c) => `${c.status.online}|${JSON.stringify(pathSummary(c.status.peers))}`,
  },
  {
    key: "rtt",
    label: "RTT",
    sort: "rtt",
    cell: rttCell,
    signature: (c) => `${c.status.online}|${rttSummary(c.status.peers)?.text}`,
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
    sort: "lastSeen",
    cell: (c) => timeEl(c.status.lastSeen),
    signature: (c) => String(c.status.lastSeen),
  },
  { key: "meshIp", label: "Mesh IP", cell: (c) => h("code", null, c.meshIp), signature: (c) => c.meshIp },
];

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  sigs: (string | null)[];
  cluster: Cluster;
}

export function clustersView(): View {
  let query: ListQuery = parseListQuery(location.search);
  let items: Cluster[] = [];
  let loaded = false;
  const rows = new Map<string, Row>();
  const tbody = h("tbody");
  const loading = h("p", { class: "loading-state", role: "status" }, "Loading clusters…");
  const empty = h(
    "p",
    { class: "empty", hidden: true },
    "No clusters yet. Use Connect Cluster to add the first one.",
  );
  const noMatch = h(
    "p",
    { class: "empty", hidden: true, role: "status" },
    "No cluster matches the search and filter.",
  );
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const connectButton: HTMLButtonElement = h(
    "button",
    { type: "button", class: "primary", onclick: (): void => openConnectDrawer(connectButton, refreshShown) },
    "Connect Cluster",
  );

  const search = h("input", {
    type: "search",
    id: "cluster-search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Name, display name, description or mesh IP",
    value: query.search,
  });
  const stateFilter = h(
    "select",
    { id: "cluster-state-filter" },
    h("option", { value: "" }, "All states"),
    CLUSTER_STATES.map((s) => h("option", { value: s }, stateLabel(s))),
  );
  stateFilter.value = query.state;
  search.addEventListener("input", () => setQuery({ ...query, search: search.value }));
  stateFilter.addEventListener("change", () =>
    setQuery({
      ...query,
      state: stateFilter.value === "" ? "" : parseListQuery(`?state=${stateFilter.value}`).state,
    }),
  );
  // Narrow screens show rows as cards without the header, so the sort has its own control there.
  const SORT_CHOICES: readonly { value: string; label: string; sort: SortKey; descending: boolean }[] = [
    { value: "name", label: "Name (A–Z)", sort: "name", descending: false },
    { value: "name-desc", label: "Name (Z–A)", sort: "name", descending: true },
    { value: "state", label: "State (failures first)", sort: "state", descending: false },
    { value: "lastSeen", label: "Last seen (newest first)", sort: "lastSeen", descending: false },
    { value: "rtt", label: "RTT (lowest first)", sort: "rtt", descending: false },
  ];
  const sortSelect = h(
    "select",
    { id: "cluster-sort" },
    SORT_CHOICES.map((c) => h("option", { value: c.value }, c.label)),
  );
  sortSelect.addEventListener("change", () => {
    const choice = SORT_CHOICES.find((c) => c.value === sortSelect.value);
    if (choice) setQuery({ ...query, sort: choice.sort, descending: choice.descending });
  });
  const toolbar = h(
    "div",
    { class: "toolbar", role: "search" },
    h("div", { class: "field" }, h("label", { for: "cluster-search" }, "Search"), search),
    h("div", { class: "field" }, h("label", { for: "cluster-state-filter" }, "State"), stateFilter),
    h("div", { class: "field narrow-only" }, h("label", { for: "cluster-sort" }, "Sort by"), sortSelect),
  );

  const headers = CLUSTER_COLUMNS.map((col) => {
    if (!col.sort) return h("th", { scope: "col" }, col.label);
    const key = col.sort;
    const button = h(
      "button",
      {
        type: "button",
        class: "sort",
        onclick: () =>
          setQuery({ ...query, sort: key, descending: query.sort === key ? !query.descending : false }),
      },
      col.label,
      h("span", { class: "sort-mark", "aria-hidden": "true" }),
    );
    return h("th", { scope: "col", dataset: { sort: key } }, button);
  });
  const table = h(
    "table",
    { class: "clusters", hidden: true },
    h("caption", { class: "visually-hidden" }, "Connected clusters"),
    h(
      "thead",
      null,
      h("tr", null, headers, h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions"))),
    ),
    tbody,
  );
  const tableWrap = h("div", { class: "table-wrap" }, table);
  const fresh = freshness({
    refreshMs: REFRESH_MS,
    onChange: (stale) => tableWrap.classList.toggle("stale", stale),
  });

  function showSort(): void {
    const choice = SORT_CHOICES.find((c) => c.sort === query.sort && c.descending === query.descending);
    if (choice) sortSelect.value = choice.value;
    for (const th of headers) {
      const key = th.dataset.sort;
      if (!key) continue;
      const on = key === query.sort;
      th.setAttribute("aria-sort", on ? (query.descending ? "descending" : "ascending") : "none");
      const mark = th.querySelector(".sort-mark");
      if (mark) mark.textContent = on ? (query.descending ? " ▼" : " ▲") : "";
    }
  }

  function setQuery(next: ListQuery): void {
    query = next;
    replaceLocation(`${UI_BASE}${listQueryString(query)}`);
    showSort();
    show();
  }

  function actions(row: Row): MenuItem[] {
    const c = row.cluster;
    return [
      { label: "Open", run: () => navigate(clusterPagePath(c.name)) },
      {
        label: reconnectLabel(c),
        run: (opener) => openReconnectDrawer({ opener, cluster: row.cluster, onDone: refreshShown }),
      },
      {
        label: "Rotate PSK",
        run: async (opener) => {
          const ok = await confirmDialog({
            title: `Rotate the PSK of ${c.displayName}?`,
            message:
              "A new pre-shared key replaces the current one, which stops working at once; the next agent that registers with it takes the cluster over.",
            confirmLabel: "Rotate PSK",
          });
          if (ok)
            openReconnectDrawer({ opener, cluster: row.cluster, rotateNow: true, onDone: refreshShown });
        },
      },
      {
        label: REVOKE_LABEL,
        danger: true,
        run: async () => {
          await confirmAndRevoke(c);
          refreshShown();
        },
      },
      {
        label: "Delete",
        danger: true,
        run: async () => {
          const ok = await confirmDialog({
            title: `Delete ${c.displayName}?`,
            message:
              "The cluster's agent is disconnected at once, its credential and PSK stop working, and its relays close. This cannot be undone.",
            confirmLabel: "Delete cluster",
            danger: true,
            typeToConfirm: c.name,
          });
          if (!ok) return;
          try {
            await api<null>("DELETE", clusterPath(c.name));
            toast(`Cluster ${c.name} deleted.`);
          } catch (err) {
            toast(`Could not delete ${c.name}: ${messageOf(err)}`);
          }
          refreshShown();
        },
      },
    ];
  }

  function upsert(cluster: Cluster): Row {
    let row = rows.get(cluster.name);
    if (!row) {
      const created: Row = {
        tr: h("tr", { dataset: { cluster: cluster.name } }),
        cells: [],
        sigs: [],
        cluster,
      };
      for (const col of CLUSTER_COLUMNS) {
        const td = h("td", { dataset: { label: col.label, column: col.key } });
        created.cells.push(td);
        created.sigs.push(null);
        created.tr.append(td);
      }
      created.tr.append(
        h(
          "td",
          { class: "row-actions", dataset: { label: "Actions", column: "actions" } },
          menuButton(`Actions for ${cluster.displayName}`, () => actions(created)),
        ),
      );
      rows.set(cluster.name, created);
      row = created;
    }
    const current = row;
    current.cluster = cluster;
    current.tr.dataset.state = clusterState(cluster);
    CLUSTER_COLUMNS.forEach((col, i) => {
      const sig = col.signature(cluster);
      const cell = current.cells[i];
      if (current.sigs[i] === sig || cell === undefined) return;
      current.sigs[i] = sig;
      cell.replaceChildren(h("div", { class: "cell" }, col.cell(cluster)));
    });
    return current;
  }

  /** Orders and filters the rows for the current query (without asking the platform again). */
  function show(): void {
    if (!loaded) return;
    const sorted = sortClusters(items, query);
    let shown = 0;
    sorted.forEach((c, index) => {
      const row = upsert(c);
      row.tr.hidden = !matches(c, query);
      if (!row.tr.hidden) shown += 1;
      if (tbody.children[index] !== row.tr) tbody.insertBefore(row.tr, tbody.children[index] ?? null);
    });
    empty.hidden = items.length !== 0;
    toolbar.hidden = items.length === 0;
    table.hidden = shown === 0;
    noMatch.hidden = items.length === 0 || shown !== 0;
    const online = items.filter((c) => c.status.online).length;
    const filtered = shown === items.length ? "" : `; ${shown} shown`;
    count.textContent =
      items.length === 0
        ? ""
        : `${items.length}${items.length === 1 ? " cluster, " : " clusters, "}${online} online${filtered}`;
  }

  async function refresh(): Promise<void> {
    try {
      items = await listClusters();
    } catch (err) {
      fresh.failed(`Could not load clusters: ${messageOf(err)}`);
      throw err;
    }
    loaded = true;
    loading.hidden = true;
    fresh.loaded();
    const seen = new Set(items.map((c) => c.name));
    for (const [name, row] of rows) {
      if (!seen.has(name)) {
        row.tr.remove();
        rows.delete(name);
      }
    }
    show();
  }

  // After a drawer or dialog closes; a failure is already on the page, in the banner.
  function refreshShown(): void {
    refresh().catch(() => {});
  }

  showSort();
  const stopPoll = poll(refresh, REFRESH_MS);
  const el = h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Clusters"), count), connectButton),
    fresh.el,
    toolbar,
    loading,
    tableWrap,
    noMatch,
    empty,
  );
  return {
    el,
    stop: () => {
      stopPoll();
      fresh.stop();
    },
  };
}
