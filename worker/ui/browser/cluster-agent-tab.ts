// A cluster's Agent tab. The helm --values URLs need an access key in ?token=; rather than put the
// admin key into copyable URLs, the page creates a values:read key on request and keeps it in session
// storage next to the admin key.
import { AGENT_VALUES_ANNOTATION } from "../../../protocol/api/constants.ts";
import type {
  Cluster,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  PatchClusterRequest,
  RotatePskResponse,
  ValuesSource,
} from "../../../protocol/api.ts";
import { api, clusterPath, messageOf } from "./api.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { connectCommands } from "./connect-commands.ts";
import { copyable, h } from "./dom.ts";
import { storedValuesKey, storeValuesKey } from "./session.ts";
import { yamlEditor } from "./yaml-editor.ts";

function valuesUrl(name: string, source: ValuesSource | "", key: string | null): string {
  const token = key || "VALUES_READ_KEY";
  return `${location.origin}/clusters/${encodeURIComponent(name)}?token=${token}${source ? `&source=${source}` : ""}`;
}

const TIERS: readonly { label: string; source: ValuesSource | "" }[] = [
  { label: "Effective values", source: "" },
  { label: "Platform agent values (source=platform-config)", source: "platform-config" },
  { label: "This cluster's annotation (source=cluster-annotation)", source: "cluster-annotation" },
];

export function agentPanel(root: HTMLElement, cluster: Cluster): void {
  const name = cluster.name;
  const effective = h(
    "pre",
    { class: "values", id: "effective-values", tabindex: "0", "aria-label": "Effective values" },
    "Loading…",
  );

  const editor = yamlEditor({
    id: "agent-values",
    label: "Extra Agent Values",
    hint: `A YAML map stored in the cluster's ${AGENT_VALUES_ANNOTATION} annotation. It overrides the platform's agent values for this cluster only; leave it empty to remove it.`,
    rows: 10,
    save: async (text) => {
      const patch: PatchClusterRequest = {
        annotations: { [AGENT_VALUES_ANNOTATION]: text.trim() === "" ? null : text },
      };
      await api<Cluster>("PATCH", clusterPath(name), { json: patch });
      await loadEffective();
    },
  });
  editor.setText(cluster.annotations[AGENT_VALUES_ANNOTATION] ?? "");

  async function loadEffective(): Promise<void> {
    try {
      effective.textContent = await api<string>("GET", `/clusters/${encodeURIComponent(name)}`, {
        accept: "application/yaml",
      });
    } catch (err) {
      effective.textContent = `Could not load the effective values: ${messageOf(err)}`;
    }
  }

  const urls = h("div", { class: "urls" });
  const keyNote = h("p", { class: "hint" });
  const keyError = h("p", { class: "form-error", role: "alert" });
  const createKey = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: async () => {
        createKey.disabled = true;
        keyError.textContent = "";
        try {
          const request: CreateAccessKeyRequest = { name: `web-ui values (${name})`, scope: "values:read" };
          const created = await api<CreateAccessKeyResponse>("POST", "/api/v1/access-keys", {
            json: request,
          });
          storeValuesKey(created.key);
          showUrls();
          urls.querySelector("button")?.focus();
        } catch (err) {
          keyError.textContent = `Could not create a key: ${messageOf(err)}`;
          createKey.disabled = false;
        }
      },
    },
    "Create a values:read key",
  );

  function showUrls(): void {
    const key = storedValuesKey();
    createKey.hidden = Boolean(key);
    keyNote.textContent = key
      ? "These URLs carry a values:read access key (it can read agent values, nothing else), created for this browser session. Anyone with a URL can read this cluster's values."
      : "The URLs take an access key in ?token=. Create a values:read key for them (it can read agent values, nothing else), or put in one of your own.";
    const helm = `helm upgrade --install tether-agent CHART \\\n  --values '${valuesUrl(name, "platform-config", key)}' \\\n  --values '${valuesUrl(name, "cluster-annotation", key)}'`;
    urls.replaceChildren(
      ...TIERS.map((t) => {
        const block = copyable(`${t.label} URL`, valuesUrl(name, t.source, key), { codeClass: "values-url" });
        block.dataset.tier = t.source || "effective";
        return h("div", { class: "url-row" }, h("h4", null, t.label), block);
      }),
      h(
        "div",
        { class: "url-row" },
        h("h4", null, "Helm, layering the two tiers"),
        copyable("helm command", helm),
      ),
    );
  }
  showUrls();

  const rotateResult = h("div");
  const rotate = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: async () => {
        const ok = await confirmDialog({
          title: "Rotate the PSK?",
          message:
            "A new pre-shared key replaces the current one, which stops working at once. Agents that already registered keep their credentials.",
          confirmLabel: "Rotate PSK",
        });
        if (!ok) return;
        try {
          const res = await api<RotatePskResponse>("POST", `${clusterPath(name)}/rotate-psk`);
          rotateResult.replaceChildren(
            h(
              "p",
              { class: "warning", role: "status" },
              "New PSK and values key created; the old ones no longer work. They are shown only this once, and the PSK registers agents for this cluster until rotated:",
            ),
            ...connectCommands(res.connect),
          );
        } catch (err) {
          rotateResult.replaceChildren(
            h("p", { class: "form-error", role: "alert" }, `Could not rotate the PSK: ${messageOf(err)}`),
          );
        }
      },
    },
    "Rotate PSK",
  );

  root.append(
    editor.el,
    h("h2", null, "Effective values"),
    h(
      "p",
      { class: "hint" },
      "The platform's agent values overlaid with this cluster's annotation (maps merge, lists are replaced, null deletes a key): what the agent applies.",
    ),
    effective,
    h("h2", null, "Values URLs for helm --values"),
    keyNote,
    createKey,
    keyError,
    urls,
    h("h2", null, "Pre-shared key"),
    h(
      "p",
      { class: "hint" },
      "A new agent registers with the PSK. Rotate it when a connect command may have leaked.",
    ),
    rotate,
    rotateResult,
  );
  void loadEffective();
}
