// A cluster's Settings tab: its display name and description (PATCH), and deleting it, which asks the
// user to type the cluster's name.
import type { Cluster, PatchClusterRequest } from "../../../protocol/api.ts";
import { api, clusterPath, messageOf } from "./api.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { field, h } from "./dom.ts";
import { navigate, UI_BASE } from "./navigation.ts";

export function settingsPanel(
  root: HTMLElement,
  cluster: Cluster,
  onSaved: (updated: Cluster) => void,
): void {
  let shownName = cluster.displayName;
  const displayName = field({
    id: "cluster-display-name",
    label: "Display Name",
    input: h("input", {
      type: "text",
      autocomplete: "off",
      required: true,
      maxlength: "128",
      value: cluster.displayName,
    }),
  });
  const description = field({
    id: "cluster-description",
    label: "Description",
    optional: true,
    input: h("textarea", { rows: "3", maxlength: "4096", value: cluster.description }),
  });
  const saved = h("span", { class: "saved", role: "status", "aria-live": "polite" });
  const formError = h("p", { class: "form-error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary" }, "Save");
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    saved.textContent = "";
    formError.textContent = "";
    const display = displayName.input.value.trim();
    if (!display) {
      displayName.setError("Enter a display name.");
      displayName.input.focus();
      return;
    }
    displayName.setError("");
    save.disabled = true;
    try {
      const patch: PatchClusterRequest = { displayName: display, description: description.input.value };
      const updated = await api<Cluster>("PATCH", clusterPath(cluster.name), { json: patch });
      shownName = updated.displayName;
      onSaved(updated);
      saved.textContent = "Saved.";
    } catch (err) {
      formError.textContent = messageOf(err);
    } finally {
      save.disabled = false;
    }
  };
  const form = h(
    "form",
    { novalidate: true, onsubmit },
    displayName.el,
    description.el,
    formError,
    h("div", { class: "actions" }, save, saved),
  );

  const deleteError = h("p", { class: "form-error", role: "alert" });
  const remove = h(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: async () => {
        const ok = await confirmDialog({
          title: `Delete ${shownName}?`,
          message:
            "The cluster's agent is disconnected at once, its credential and PSK stop working, and its relays close. This cannot be undone.",
          confirmLabel: "Delete cluster",
          danger: true,
          typeToConfirm: cluster.name,
        });
        if (!ok) return;
        try {
          await api<null>("DELETE", clusterPath(cluster.name));
          navigate(UI_BASE, `Cluster ${cluster.name} deleted.`);
        } catch (err) {
          deleteError.textContent = `Could not delete the cluster: ${messageOf(err)}`;
        }
      },
    },
    "Delete cluster",
  );

  root.append(
    h("h2", null, "General"),
    form,
    h(
      "section",
      { class: "danger-zone", "aria-labelledby": "danger-zone-title" },
      h("h2", { id: "danger-zone-title" }, "Delete cluster"),
      h(
        "p",
        null,
        "Removes ",
        h("code", null, cluster.name),
        " from the platform and disconnects its agent.",
      ),
      remove,
      deleteError,
    ),
  );
}
