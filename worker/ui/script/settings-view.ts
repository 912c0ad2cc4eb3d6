// Browser JavaScript (see ../app-script.ts): platform settings: the agentValues section every
// cluster inherits, and the whole platform config for reference.
export const SETTINGS_VIEW_JS = String.raw`
function settingsView() {
  const config = h("pre", { class: "values", id: "platform-config", tabindex: "0", "aria-label": "Platform config" }, "Loading…");
  const problem = h("p", { class: "form-error", role: "alert" });
  const editor = yamlEditor({
    id: "platform-agent-values",
    label: "Agent values",
    hint: "The agentValues section of the platform config: a YAML map every connected cluster gets, under its own Extra Agent Values. Empty ({}) means agents inherit the platform's own values instead.",
    rows: 14,
    loading: true,
    save: async function (text) {
      await api("PUT", "/api/v1/config/agent-values", { yaml: text });
      await load();
    },
  });

  async function load() {
    try {
      const [values, whole] = await Promise.all([
        api("GET", "/api/v1/config/agent-values"),
        api("GET", "/api/v1/config"),
      ]);
      editor.setText(values.yaml === "{}\n" ? "" : values.yaml);
      config.textContent = whole.yaml;
    } catch (err) {
      problem.textContent = "Could not load the platform config: " + err.message;
    }
  }
  load();

  const el = h("section", { class: "page" },
    h("div", { class: "page-head" }, h("h1", null, "Platform settings")),
    problem,
    editor.el,
    h("h2", null, "Platform config"),
    h("p", { class: "hint" }, "The whole values document, read-only here (replace it with PUT /api/v1/config)."),
    config,
  );
  return { el: el };
}
`;
