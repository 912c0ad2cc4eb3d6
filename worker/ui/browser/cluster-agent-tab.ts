// A cluster's Agent tab. The helm --values URLs need an access key in ?token=; rather than put the
// admin key into copyable URLs, the page creates on request a key that reads this one cluster's
// values (cluster-values:read) and expires in 24 h, and keeps it in this tab's session storage. It is
// a real key on the platform until then: listed under Access keys, revocable there.
import { AGENT_VALUES_ANNOTATION } from "../../../protocol/api/constants.ts";
import type {
  Cluster,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  EffectiveValuesResponse,
  PatchClusterRequest,
  RotatePskResponse,
  ValuesSource,
} from "../../../protocol/api.ts";
import { api, clusterPath, messageOf } from "./api.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { connectCommands } from "./connect-commands.ts";
import { copyable, h, setChildren } from "./dom.ts";
import { timeEl } from "./format.ts";
import { UI_BASE } from "./navigation.ts";
import { forgetValuesKey, storedValuesKey, storeValuesKey } from "./session.ts";
import { yamlEditor } from "./yaml-editor.ts";

function valuesUrl(name: string, source: ValuesSource | "", key: string | null): string {
  const token = key || "VALUES_KEY";
  return `${location.origin}/clusters/${encodeURIComponent(name)}?token=${token}${source ? `&source=${source}` : ""}`;
}

const TIERS: readonly { label: string; source: ValuesSource | "" }[] = [
  { label: "Effective values", source: "" },
  { label: "Platform agent values (source=platform-config)", source: "platform-config" },
  { label: "This cluster's annotation (source=cluster-annotation)", source: "cluster-annotation" },
];

/** How long the page's values keys live: long enough for an install, short enough to forget. */
export const VALUES_KEY_LIFETIME_SECONDS = 24 * 3600;

export function agentPanel(root: HTMLElement, cluster: Cluster): { update(c: Cluster): void } {
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

  const unused = h("div", { class: "values-report", id: "unused-keys", hidden: true });
  const report = h("div", { class: "values-report", id: "values-report" });

  async function loadEffective(): Promise<void> {
    try {
      const res = await api<EffectiveValuesResponse>("GET", `/clusters/${encodeURIComponent(name)}`, {
        accept: "application/json",
      });
      effective.textContent = res.yaml;
      // Unknown keys are allowed (other components may read them), but the agent ignores them.
      unused.hidden = res.unusedKeys.length === 0;
      setChildren(
        unused,
        h("h4", null, "Not used by the agent"),
        h(
          "p",
          { class: "hint" },
          "The agent's values schema does not know these keys; they are kept for whatever else reads the values.",
        ),
        h(
          "ul",
          null,
          res.unusedKeys.map((k) => h("li", null, h("code", null, k))),
        ),
      );
    } catch (err) {
      effective.textContent = `Could not load the effective values: ${messageOf(err)}`;
    }
  }

  function showReport(c: Cluster): void {
    const values = c.status.values;
    if (values === null) {
      setChildren(
        report,
        h("h4", null, "What the agent applied"),
        h(
          "p",
          { class: "muted" },
          c.status.online
            ? "The agent has not reported its values yet."
            : "No report: the agent is not connected.",
        ),
      );
      return;
    }
    setChildren(
      report,
      h("h4", null, "What the agent applied"),
      h(
        "p",
        { class: "hint" },
        "Reported ",
        timeEl(values.reportedAt),
        c.status.online ? "" : " (the agent is offline now)",
        ".",
      ),
      values.rejected.length
        ? [
            h("p", { class: "form-error" }, `Rejected by the agent (${values.rejected.length}):`),
            h(
              "ul",
              { class: "issues", id: "values-rejected" },
              values.rejected.map((r) =>
                h("li", null, h("code", { class: "issue-path" }, r.path), ": ", r.message),
              ),
            ),
          ]
        : h("p", { class: "saved" }, "Nothing rejected."),
      h(
        "p",
        { id: "values-applied" },
        "Applied: ",
        values.applied.length
          ? values.applied.map((a) => h("code", { class: "chip" }, a))
          : h("span", { class: "muted" }, "none"),
      ),
    );
  }
  showReport(cluster);

  const urls = h("div", { class: "urls" });
  const keyNote = h("p", { class: "hint", id: "values-key-note" });
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
          const request: CreateAccessKeyRequest = {
            name: `web-ui values ${name}`.slice(0, 64),
            scope: "cluster-values:read",
            cluster: name,
            expiresInSeconds: VALUES_KEY_LIFETIME_SECONDS,
          };
          const created = await api<CreateAccessKeyResponse>("POST", "/api/v1/access-keys", {
            json: request,
          });
          storeValuesKey(name, {
            key: created.key,
            id: created.accessKey.id,
            expiresAt: created.accessKey.expiresAt ?? "",
          });
          showUrls();
          urls.querySelector("button")?.focus();
        } catch (err) {
          keyError.textContent = `Could not create a key: ${messageOf(err)}`;
          createKey.disabled = false;
        }
      },
    },
    "Create a values key for this cluster",
  );

  function showUrls(): void {
    const stored = storedValuesKey(name, Date.now());
    const key = stored?.key ?? null;
    createKey.hidden = Boolean(key);
    if (stored) {
      keyNote.replaceChildren(
        "These URLs carry a cluster-values:read access key: it reads this cluster's agent values and nothing else, and expires ",
        h("time", { datetime: stored.expiresAt }, new Date(stored.expiresAt).toLocaleString()),
        " (24 hours after it was created). Until then anyone with a URL can read this cluster's values, even after you sign out; revoke it under ",
        h("a", { href: `${UI_BASE}/keys` }, "Access keys"),
        " when it is no longer needed.",
      );
    } else {
      keyNote.textContent =
        "The URLs take an access key in ?token=. Create one for them: it reads this cluster's agent values only and expires in 24 hours. Or put in a key of your own.";
    }
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
            "A new pre-shared key replaces the current one, which stops working at once, and the cluster's values keys are revoked with it. The agent registered now keeps its credential until an agent registers with the new PSK and takes the cluster over.",
          confirmLabel: "Rotate PSK",
        });
        if (!ok) return;
        try {
          const res = await api<RotatePskResponse>("POST", `${clusterPath(name)}/rotate-psk`);
          // The rotation revokes the cluster's values keys, the one in the URLs above too.
          forgetValuesKey(name);
          showUrls();
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
      "The platform's agent values overlaid with this cluster's annotation (maps merge, lists are replaced, null deletes a key): what the agent is given. What it applied and rejected is below.",
    ),
    effective,
    unused,
    report,
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
  return { update: showReport };
}
