// Routing on real paths under /ui (the Worker answers every /ui/* path with the same page). Views
// navigate through here; the shell registers how a path is shown, so views never import the shell.

export const UI_BASE = "/ui";
/** How often lists and statuses refresh. */
export const REFRESH_MS = 2000;

export type Route =
  | { view: "clusters" }
  | { view: "cluster"; name: string }
  | { view: "settings" }
  | { view: "not-found" };

export function route(pathname: string): Route {
  const rest = pathname.replace(/^\/ui\/?/, "");
  if (rest === "" || rest === "clusters" || rest === "clusters/") return { view: "clusters" };
  const m = /^clusters\/([^/]+)\/?$/.exec(rest);
  if (m?.[1]) {
    // A malformed escape makes decodeURIComponent throw, which would leave the page on "Loading…".
    try {
      return { view: "cluster", name: decodeURIComponent(m[1]) };
    } catch {
      return { view: "not-found" };
    }
  }
  if (rest === "settings" || rest === "settings/") return { view: "settings" };
  return { view: "not-found" };
}

export function clusterPagePath(name: string): string {
  return `${UI_BASE}/clusters/${encodeURIComponent(name)}`;
}

type Renderer = (message?: string) => void;
let renderer: Renderer = () => {};

export function whenNavigated(render: Renderer): void {
  renderer = render;
}

/** Shows `path` (pushing it onto history when it is a new one), with an optional toast. */
export function navigate(path: string, message?: string): void {
  if (location.pathname !== path) history.pushState(null, "", path);
  renderer(message);
}
