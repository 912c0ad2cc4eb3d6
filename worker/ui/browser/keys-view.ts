// Access keys: every key with its scope, cluster, creation, last use and expiry; create one (with an
// expiry, shown once) and revoke one. Revoking takes effect at once: the next request with the key
// is refused.

import { accessKeyState } from "../../../protocol/access-key-state.ts";
import type {
  AccessKey,
  AccessKeyScope,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  ListAccessKeysResponse,
} from "../../../protocol/api.ts";
import { api, listClusters, messageOf } from "./api.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { copyable, field, h, toast } from "./dom.ts";
import { dateEl, timeEl } from "./format.ts";
import { freshness } from "./freshness.ts";
import { clusterPagePath } from "./navigation.ts";
import { poll } from "./poll.ts";
import type { View } from "./view.ts";

const KEYS_REFRESH_MS = 5000;

export const EXPIRY_CHOICES: readonly { label: string; seconds: number | null }[] = [
  { label: "1 hour", seconds: 3600 },
  { label: "24 hours", seconds: 24 * 3600 },
  { label: "7 days", seconds: 7 * 24 * 3600 },
  { label: "30 days", seconds: 30 * 24 * 3600 },
  { label: "90 days", seconds: 90 * 24 * 3600 },
  { label: "1 year", seconds: 365 * 24 * 3600 },
  { label: "Never", seconds: null },
];

const SCOPE_TEXT: Record<AccessKeyScope, string> = {
  admin: "admin: everything, like the key you signed in with",
  "values:read": "values:read: every cluster's agent values",
  "cluster-values:read": "cluster-values:read: one cluster's agent values",
};

function select(id: string, options: readonly { value: string; label: string }[]): HTMLSelectElement {
  return h(
    "select",
    { id },
    options.map((o) => h("option", { value: o.value }, o.label)),
  );
}

export function keysView(): View {
  const tbody = h("tbody");
  const loading = h("p", { class: "loading-state", role: "status" }, "Loading access keys…");
  const empty = h(
    "p",
    { class: "empty", hidden: true },
    "No access keys yet besides the admin key of the platform's configuration.",
  );
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const table = h(
    "table",
    { class: "keys", hidden: true },
    h("caption", { class: "visually-hidden" }, "Access keys"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ["Name", "Scope", "Cluster", "Created", "Last used", "Expires", "State", ""].map((t) =>
          h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Actions")),
        ),
      ),
    ),
    tbody,
  );
  const wrap = h("div", { class: "table-wrap" }, table);
  const fresh = freshness({
    refreshMs: KEYS_REFRESH_MS,
    onChange: (stale) => wrap.classList.toggle("stale", stale),
  });

  function row(key: AccessKey): HTMLTableRowElement {
    const state = accessKeyState(key, Date.now());
    const revoke = h(
      "button",
      {
        type: "button",
        class: "secondary small",
        "aria-label": `Revoke ${key.name}`,
        onclick: async () => {
          const ok = await confirmDialog({
            title: `Revoke ${key.name}?`,
            message:
              "The key stops working at once: every request with it is refused from now on, including values URLs that carry it. This cannot be undone.",
            confirmLabel: "Revoke key",
            danger: true,
          });
          if (!ok) return;
          try {
            await api<null>("DELETE", `/api/v1/access-keys/${encodeURIComponent(key.id)}`);
            toast(`Access key ${key.name} revoked.`);
            await refresh();
          } catch (err) {
            toast(`Could not revoke ${key.name}: ${messageOf(err)}`);
          }
        },
      },
      "Revoke",
    );
    return h(
      "tr",
      { dataset: { key: key.id, name: key.name }, class: state === "active" ? "" : "inactive" },
      h("td", { dataset: { label: "Name", column: "name" } }, key.name),
      h(
        "td",
        { dataset: { label: "Scope", column: "scope" } },
        h("code", { title: SCOPE_TEXT[key.scope] }, key.scope),
      ),
      h(
        "td",
        { dataset: { label: "Cluster", column: "cluster" } },
        key.cluster
          ? h("a", { href: clusterPagePath(key.cluster) }, key.cluster)
          : h("span", { class: "muted" }, key.scope === "cluster-values:read" ? "—" : "all"),
      ),
      h("td", { dataset: { label: "Created", column: "created" } }, dateEl(key.createdAt)),
      h("td", { dataset: { label: "Last used", column: "lastUsed" } }, timeEl(key.lastUsedAt)),
      h("td", { dataset: { label: "Expires", column: "expires" } }, dateEl(key.expiresAt)),
      h(
        "td",
        { dataset: { label: "State", column: "state" } },
        h(
          "span",
          { class: `badge key-${state}` },
          state === "active" ? "Active" : state === "revoked" ? "Revoked" : "Expired",
        ),
      ),
      h("td", { dataset: { label: "Actions", column: "actions" } }, state === "active" ? revoke : null),
    );
  }

  async function refresh(): Promise<void> {
    let items: AccessKey[];
    try {
      items = (await api<ListAccessKeysResponse>("GET", "/api/v1/access-keys")).items;
    } catch (err) {
      fresh.failed(`Could not load the access keys: ${messageOf(err)}`);
      throw err;
    }
    fresh.loaded();
    loading.hidden = true;
    // Newest first: the one just created is at the top.
    tbody.replaceChildren(...[...items].reverse().map(row));
    table.hidden = items.length === 0;
    empty.hidden = items.length !== 0;
    const active = items.filter((k) => accessKeyState(k, Date.now()) === "active").length;
    count.textContent = `${items.length} ${items.length === 1 ? "key" : "keys"}, ${active} active`;
  }

  const form = createForm(() => refresh());
  const stopPoll = poll(refresh, KEYS_REFRESH_MS);
  const el = h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Access keys"), count)),
    h(
      "p",
      { class: "hint" },
      "Keys for the API and for values URLs. The platform keeps only a hash of each key, so a key is shown once, when it is created. The admin key from the platform's configuration (ADMIN_ACCESS_KEY) is not listed here.",
    ),
    fresh.el,
    loading,
    wrap,
    empty,
    form,
  );
  return {
    el,
    stop: () => {
      stopPoll();
      fresh.stop();
    },
  };
}

function createForm(onCreated: () => Promise<void>): HTMLElement {
  const name = field({
    id: "key-name",
    label: "Name",
    hint: "What the key is for, such as “ci values” (at most 64 characters).",
    input: h("input", { type: "text", autocomplete: "off", maxlength: "64", required: true }),
  });
  const scope = select("key-scope", [
    { value: "cluster-values:read", label: SCOPE_TEXT["cluster-values:read"] },
    { value: "values:read", label: SCOPE_TEXT["values:read"] },
    { value: "admin", label: SCOPE_TEXT.admin },
  ]);
  const cluster = select("key-cluster", []);
  const expiry = select(
    "key-expiry",
    EXPIRY_CHOICES.map((c, i) => ({ value: String(i), label: c.label })),
  );
  expiry.value = "3"; // 30 days
  const clusterField = h("div", { class: "field" }, h("label", { for: "key-cluster" }, "Cluster"), cluster);
  scope.addEventListener("change", () => {
    clusterField.hidden = scope.value !== "cluster-values:read";
  });
  void listClusters()
    .then((items) => {
      cluster.replaceChildren(
        ...items.map((c) => h("option", { value: c.name }, `${c.displayName} (${c.name})`)),
      );
    })
    .catch(() => {});

  const result = h("div", { class: "created-key" });
  const formError = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create key");
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    formError.textContent = "";
    const keyName = name.input.value.trim();
    if (!keyName) {
      name.setError("Enter a name.");
      name.input.focus();
      return;
    }
    name.setError("");
    const chosenScope = scope.value as AccessKeyScope;
    const request: CreateAccessKeyRequest = { name: keyName, scope: chosenScope };
    if (chosenScope === "cluster-values:read") {
      if (!cluster.value) {
        formError.textContent = "There is no cluster to bind the key to; create a cluster first.";
        return;
      }
      request.cluster = cluster.value;
    }
    const seconds = EXPIRY_CHOICES[Number(expiry.value)]?.seconds ?? null;
    if (seconds !== null) request.expiresInSeconds = seconds;
    submit.disabled = true;
    try {
      const created = await api<CreateAccessKeyResponse>("POST", "/api/v1/access-keys", { json: request });
      const k = created.accessKey;
      result.replaceChildren(
        h(
          "p",
          { class: "warning", role: "status" },
          `Key ${k.name} created (${k.scope}${k.cluster ? `, cluster ${k.cluster}` : ""}, ${k.expiresAt ? `expires ${new Date(k.expiresAt).toLocaleString()}` : "never expires"}). It is shown only this once; copy it now.`,
        ),
        copyable("new access key", created.key, { codeClass: "new-key" }),
      );
      name.input.value = "";
      await onCreated();
    } catch (err) {
      formError.textContent = messageOf(err);
    } finally {
      submit.disabled = false;
    }
  };
  return h(
    "form",
    { class: "card create-key", novalidate: true, onsubmit, "aria-labelledby": "create-key-title" },
    h("h2", { id: "create-key-title" }, "Create an access key"),
    name.el,
    h("div", { class: "field" }, h("label", { for: "key-scope" }, "Scope"), scope),
    clusterField,
    h("div", { class: "field" }, h("label", { for: "key-expiry" }, "Expires after"), expiry),
    formError,
    h("div", { class: "actions" }, submit),
    result,
  );
}
