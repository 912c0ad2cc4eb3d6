// Platform settings: the agentValues section every cluster inherits, and the whole platform config for
// reference.
import type { AgentValuesResponse, ConfigResponse } from "../../../protocol/api.ts";
import { api, messageOf } from "./api.ts";
import { h } from "./dom.ts";
import type { View } from "./view.ts";
import { yamlEditor } from "./yaml-editor.ts";

export function settingsView(): View {
  const config = h(
    "pre",
    { class: "values", id: "platform-config", tabindex: "0", "aria-label": "Platform config" },
    "Loading…",
  );
  const problem = h("p", { class: "form-error", role: "alert" });
  const editor = yamlEditor({
    id: "platform-agent-values",
    label: "Agent values",
    hint: "The agentValues section of the platform config: a YAML map every connected cluster gets, under its own Extra Agent Values. Empty ({}) means agents inherit the platform's own values instead.",
    rows: 14,
    loading: true,
    save: async (text) => {
      await api<ConfigResponse>("PUT", "/api/v1/config/agent-values", { yaml: text });
      await load();
    },
  });

  async function load(): Promise<void> {
    try {
      const [values, whole] = await Promise.all([
        api<AgentValuesResponse>("GET", "/api/v1/config/agent-values"),
        api<ConfigResponse>("GET", "/api/v1/config"),
      ]);
      editor.setText(values.yaml === "{}\n" ? "" : values.yaml);
      config.textContent = whole.yaml;
    } catch (err) {
      problem.textContent = `Could not load the platform config: ${messageOf(err)}`;
    }
  }
  void load();

  const el = h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", null, "Platform settings")),
    problem,
    editor.el,
    h("h2", null, "Platform config"),
    h(
      "p",
      { class: "hint" },
      "The whole values document, read-only here (replace it with PUT /api/v1/config).",
    ),
    config,
  );
  return { el };
}
