// Routing on real paths under /ui (the Worker answers every /ui/* path with the same page). Views
// navigate through here; the shell registers how a path is shown, so views never import the shell.

export const UI_BASE = "/ui";
/** How often lists and statuses refresh. */
export const REFRESH_MS = 2000;

/** A cluster page's tabs, each with its own path (/ui/clusters/NAME/agent), so a tab can be linked. */
export const CLUSTER_TABS = ["overview", "agent", "events", "settings"] as const;
export type ClusterTab = (typeof CLUSTER_TABS)[number];

function isClusterTab(value: string): value is ClusterTab {
  return (CLUSTER_TABS as readonly string[]).includes(value);
}

export type Route =
  | { view: "clusters" }
  | { view: "cluster"; name: string; tab: ClusterTab }
  | { view: "settings" }
  | { view: "keys" }
  | { view: "not-found" };

export function route(pathname: string): Route {
  const rest = pathname.replace(/^\/ui\/?/, "");
  if (rest === "" || rest === "clusters" || rest === "clusters/") return { view: "clusters" };
  const m = /^clusters\/([^/]+)(?:\/([^/]+))?\/?$/.exec(rest);
  if (m?.[1]) {
    const tab = m[2] ?? "overview";
    if (!isClusterTab(tab)) return { view: "not-found" };
    // A malformed escape makes decodeURIComponent throw, which would leave the page on "Loading…".
    try {
      return { view: "cluster", name: decodeURIComponent(m[1]), tab };
    } catch {
      return { view: "not-found" };
    }
  }
  if (rest === "settings" || rest === "settings/") return { view: "settings" };
  if (rest === "keys" || rest === "keys/") return { view: "keys" };
  return { view: "not-found" };
}

export function clusterPagePath(name: string, tab: ClusterTab = "overview"): string {
  const base = `${UI_BASE}/clusters/${encodeURIComponent(name)}`;
  return tab === "overview" ? base : `${base}/${tab}`;
}

let shown = "";

/** Path and query of what is on screen; Back that the user takes back again returns here. */
export function shownLocation(): string {
  return shown;
}

/** Notes that the page now shows location's path and query. */
export function noteShown(): void {
  shown = `${location.pathname}${location.search}`;
}

/** Records where the user is without rendering again (a tab, a search): back and reload come back here. */
export function replaceLocation(pathAndQuery: string): void {
  if (`${location.pathname}${location.search}` !== pathAndQuery) history.replaceState(null, "", pathAndQuery);
  noteShown();
}

type Renderer = (message?: string) => void;
let renderer: Renderer = () => {};

export function whenNavigated(render: Renderer): void {
  renderer = render;
}

/** Shows `path` (pushing it onto history when it is a new one), with an optional toast. */
export function navigate(path: string, message?: string): void {
  if (`${location.pathname}${location.search}` !== path) history.pushState(null, "", path);
  renderer(message);
}
