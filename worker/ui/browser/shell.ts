// The frame around every view: sign-in, the top bar, and which view a path shows.
import type { ConfigResponse } from "../../../protocol/api.ts";
import { ApiError, apiFetch, messageOf } from "./api.ts";
import { clusterDetailView } from "./cluster-detail.ts";
import { clustersView } from "./clusters-view.ts";
import { closeAllDialogs } from "./confirm-dialog.ts";
import { field, h, toast } from "./dom.ts";
import { closeAllDrawers } from "./drawer.ts";
import { keysView } from "./keys-view.ts";
import { mayLeave } from "./leave-guard.ts";
import { navigate, noteShown, route, shownLocation, UI_BASE } from "./navigation.ts";
import { signIn, signOut, storedKey } from "./session.ts";
import { settingsView } from "./settings-view.ts";
import type { View } from "./view.ts";

let currentView: View | null = null;

export function closeOverlays(): void {
  closeAllDrawers();
  closeAllDialogs();
}

/** Same-origin links under /ui route in the page; modified clicks keep their usual meaning. */
export function onLinkClick(event: MouseEvent): void {
  const target = event.target instanceof Element ? event.target : null;
  const a = target?.closest("a[href]");
  if (!(a instanceof HTMLAnchorElement)) return;
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(UI_BASE) || a.target) return;
  event.preventDefault();
  void mayLeave().then((ok) => {
    if (!ok) return;
    // A link inside a drawer (the cluster's page, once connected) leaves the drawer too.
    closeOverlays();
    navigate(url.pathname + url.search);
  });
}

/** Back and forward: the URL has already changed, so staying means putting the shown one back. */
export async function onPopState(): Promise<void> {
  const target = `${location.pathname}${location.search}`;
  if (!(await mayLeave())) {
    history.pushState(null, "", shownLocation());
    return;
  }
  if (`${location.pathname}${location.search}` !== target) return;
  closeOverlays();
  render();
}

async function signOutAsked(): Promise<void> {
  if (await mayLeave()) signOut("Signed out.");
}

function topbar(active: string): HTMLElement {
  function link(href: string, text: string, key: string): HTMLAnchorElement {
    return h("a", { href, "aria-current": active === key ? "page" : false }, text);
  }
  return h(
    "header",
    { class: "topbar" },
    h(
      "a",
      { class: "brand", href: UI_BASE },
      h("span", { class: "brand-mark", "aria-hidden": "true" }),
      "Tether",
    ),
    h(
      "nav",
      { "aria-label": "Main" },
      link(UI_BASE, "Clusters", "clusters"),
      link(`${UI_BASE}/keys`, "Access keys", "keys"),
      link(`${UI_BASE}/settings`, "Settings", "settings"),
    ),
    h("button", { type: "button", class: "secondary small", onclick: () => signOutAsked() }, "Sign out"),
  );
}

function notFoundView(): View {
  return {
    el: h(
      "section",
      { class: "page" },
      h("h1", null, "Not found"),
      h("p", null, h("a", { href: UI_BASE }, "Back to Clusters")),
    ),
  };
}

/** Replaces the current view with the one for location.pathname (or sign-in), with an optional toast. */
export function render(message?: string): void {
  currentView?.stop?.();
  currentView = null;
  noteShown();
  const shell = document.getElementById("shell");
  if (shell === null) return;
  const main = h("main", { id: "main", tabindex: "-1" });
  if (!storedKey()) {
    shell.replaceChildren(main);
    currentView = signInView(message);
    main.append(currentView.el);
    main.querySelector("input")?.focus();
    return;
  }
  const r = route(location.pathname);
  shell.replaceChildren(topbar(r.view === "cluster" ? "clusters" : r.view), main);
  if (r.view === "clusters") currentView = clustersView();
  else if (r.view === "cluster") currentView = clusterDetailView(r.name, r.tab);
  else if (r.view === "settings") currentView = settingsView();
  else if (r.view === "keys") currentView = keysView();
  else currentView = notFoundView();
  main.append(currentView.el);
  if (message) toast(message);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  document.title = `${heading ? `${heading.textContent} · ` : ""}Tether`;
}

function signInView(message: string | undefined): View {
  const key = field({
    id: "access-key",
    label: "Access key",
    hint: "An admin access key (tak_…), such as the one npm start prints. It stays in this tab's session storage.",
    input: h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true }),
  });
  const status = h(
    "p",
    { class: "form-error", role: "alert" },
    message && message !== "Signed out." ? message : "",
  );
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    const value = key.input.value.trim();
    key.setError("");
    status.textContent = "";
    if (!value) {
      key.setError("Enter an access key.");
      key.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      // Any admin route proves the key; the config is small.
      await apiFetch<ConfigResponse>(value, "GET", "/api/v1/config");
      signIn(value);
      render();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      const text =
        status === 401
          ? "That access key was not accepted."
          : status === 403
            ? "That key cannot manage the platform; the web UI needs an admin key."
            : messageOf(err);
      key.setError(text);
      key.input.focus();
      submit.disabled = false;
    }
  };
  const form = h(
    "form",
    { class: "card sign-in", novalidate: true, onsubmit },
    h("h1", null, "Sign in to Tether"),
    status,
    key.el,
    h("div", { class: "actions" }, submit),
  );
  return { el: h("div", { class: "sign-in-page" }, form) };
}
