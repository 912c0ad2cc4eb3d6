// Browser JavaScript (see ../app-script.ts): the frame around every view: sign-in, the top bar,
// and routing on real paths under /ui (the Worker answers every /ui/* path with the same page).
export const SHELL_JS = String.raw`
const UI_BASE = "/ui";
let currentView = null;

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  sessionStorage.removeItem(VALUES_KEY_STORAGE);
  closeOverlays();
  render(message);
}

function navigate(path) {
  if (location.pathname !== path) history.pushState(null, "", path);
  render();
}

/** Same-origin links under /ui route in the page; modified clicks keep their usual meaning. */
function onLinkClick(event) {
  const a = event.target.closest("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(UI_BASE) || a.target) return;
  event.preventDefault();
  navigate(url.pathname);
}

function route(pathname) {
  const rest = pathname.replace(/^\/ui\/?/, "");
  if (rest === "" || rest === "clusters" || rest === "clusters/") return { view: "clusters" };
  const m = /^clusters\/([^/]+)\/?$/.exec(rest);
  if (m) return { view: "cluster", name: decodeURIComponent(m[1]) };
  if (rest === "settings" || rest === "settings/") return { view: "settings" };
  return { view: "not-found" };
}

function topbar(active) {
  function link(href, text, key) {
    return h("a", { href: href, "aria-current": active === key ? "page" : false }, text);
  }
  return h("header", { class: "topbar" },
    h("a", { class: "brand", href: UI_BASE }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Tether"),
    h("nav", { "aria-label": "Main" }, link(UI_BASE, "Clusters", "clusters"), link(UI_BASE + "/settings", "Settings", "settings")),
    h("button", { type: "button", class: "secondary small", onclick: function () { signOut("Signed out."); } }, "Sign out"),
  );
}

function render(message) {
  if (currentView && currentView.stop) currentView.stop();
  currentView = null;
  const shell = document.getElementById("shell");
  const main = h("main", { id: "main", tabindex: "-1" });
  if (!storedKey()) {
    shell.replaceChildren(main);
    currentView = signInView(message);
    main.append(currentView.el);
    const input = main.querySelector("input");
    if (input) input.focus();
    return;
  }
  const r = route(location.pathname);
  shell.replaceChildren(topbar(r.view === "cluster" ? "clusters" : r.view), main);
  if (r.view === "clusters") currentView = clustersView();
  else if (r.view === "cluster") currentView = clusterDetailView(r.name);
  else if (r.view === "settings") currentView = settingsView();
  else currentView = { el: h("section", { class: "page" }, h("h1", null, "Not found"), h("p", null, h("a", { href: UI_BASE }, "Back to Clusters"))) };
  main.append(currentView.el);
  if (message) toast(message);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  document.title = (heading ? heading.textContent + " · " : "") + "Tether";
}

function signInView(message) {
  const key = field({
    id: "access-key",
    label: "Access key",
    hint: "An admin access key (tak_…), such as the one npm start prints. It stays in this tab's session storage.",
    input: h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true }),
  });
  const status = h("p", { class: "form-error", role: "alert" }, message && message !== "Signed out." ? message : "");
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "card sign-in", novalidate: true, onsubmit: async function (event) {
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
      await apiFetch(value, "GET", "/api/v1/config");
      sessionStorage.setItem(KEY_STORAGE, value);
      render();
    } catch (err) {
      const text = err.status === 401 ? "That access key was not accepted."
        : err.status === 403 ? "That key cannot manage the platform; the web UI needs an admin key."
        : err.message;
      key.setError(text);
      key.input.focus();
      submit.disabled = false;
    }
  } },
    h("h1", null, "Sign in to Tether"),
    status,
    key.el,
    h("div", { class: "actions" }, submit),
  );
  return { el: h("div", { class: "sign-in-page" }, form) };
}

function closeOverlays() {
  document.querySelectorAll(".drawer-layer").forEach(function (el) { if (el.closeDrawer) el.closeDrawer(); });
  document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
}

document.addEventListener("click", onLinkClick);
window.addEventListener("popstate", function () { closeOverlays(); render(); });
render();
`;
