// Browser JavaScript (see ../app-script.ts): a cluster's Settings tab: its display name and
// description (PATCH), and deleting it, which asks the user to type the cluster's name.
export const CLUSTER_SETTINGS_TAB_JS = String.raw`
function settingsPanel(root, cluster, onSaved) {
  let shownName = cluster.displayName;
  const displayName = field({
    id: "cluster-display-name",
    label: "Display Name",
    input: h("input", { type: "text", autocomplete: "off", required: true, maxlength: "128", value: cluster.displayName }),
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
  const form = h("form", { novalidate: true, onsubmit: async function (event) {
    event.preventDefault();
    saved.textContent = "";
    formError.textContent = "";
    const display = displayName.input.value.trim();
    if (!display) {
      displayName.setError("Enter a display name.");
      return displayName.input.focus();
    }
    displayName.setError("");
    save.disabled = true;
    try {
      const updated = await api("PATCH", clusterPath(cluster.name), { json: { displayName: display, description: description.input.value } });
      shownName = updated.displayName;
      onSaved(updated);
      saved.textContent = "Saved.";
    } catch (err) {
      formError.textContent = err.message;
    } finally {
      save.disabled = false;
    }
  } }, displayName.el, description.el, formError, h("div", { class: "actions" }, save, saved));

  const deleteError = h("p", { class: "form-error", role: "alert" });
  const remove = h("button", { type: "button", class: "danger", onclick: async function () {
    const ok = await confirmDialog({
      title: "Delete " + shownName + "?",
      message: "The cluster's agent is disconnected at once, its credential and PSK stop working, and its relays close. This cannot be undone.",
      confirmLabel: "Delete cluster",
      danger: true,
      typeToConfirm: cluster.name,
    });
    if (!ok) return;
    try {
      await api("DELETE", clusterPath(cluster.name));
      history.pushState(null, "", UI_BASE);
      render("Cluster " + cluster.name + " deleted.");
    } catch (err) {
      deleteError.textContent = "Could not delete the cluster: " + err.message;
    }
  } }, "Delete cluster");

  root.append(
    h("h2", null, "General"),
    form,
    h("section", { class: "danger-zone", "aria-labelledby": "danger-zone-title" },
      h("h2", { id: "danger-zone-title" }, "Delete cluster"),
      h("p", null, "Removes ", h("code", null, cluster.name), " from the platform and disconnects its agent."),
      remove,
      deleteError,
    ),
  );
}
`;
