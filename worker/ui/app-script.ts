import { AGENT_VALUES_ANNOTATION } from "../../protocol/api.ts";
import { CLUSTER_NAME_PROBLEM_JS } from "../../protocol/cluster-name.ts";
import { API_JS } from "./script/api.ts";
import { CLUSTER_AGENT_TAB_JS } from "./script/cluster-agent-tab.ts";
import { CLUSTER_DETAIL_JS } from "./script/cluster-detail.ts";
import { CLUSTER_SETTINGS_TAB_JS } from "./script/cluster-settings-tab.ts";
import { CLUSTERS_VIEW_JS } from "./script/clusters-view.ts";
import { CONFIRM_DIALOG_JS } from "./script/confirm-dialog.ts";
import { CONNECT_DRAWER_JS } from "./script/connect-drawer.ts";
import { DOM_JS } from "./script/dom.ts";
import { DRAWER_JS } from "./script/drawer.ts";
import { FORMAT_JS } from "./script/format.ts";
import { SETTINGS_VIEW_JS } from "./script/settings-view.ts";
import { SHELL_JS } from "./script/shell.ts";
import { TABS_JS } from "./script/tabs.ts";
import { YAML_EDITOR_JS } from "./script/yaml-editor.ts";

/**
 * The page's whole script: plain browser JavaScript kept as strings, one module per concern, joined
 * into one strict-mode function. Nothing is fetched at run time and no build step sits between
 * these files and the browser. The shell goes last: it renders once everything is defined.
 */
export const APP_JS = [
  '"use strict";',
  "(function () {",
  `const AGENT_VALUES_ANNOTATION = ${JSON.stringify(AGENT_VALUES_ANNOTATION)};`,
  CLUSTER_NAME_PROBLEM_JS,
  DOM_JS,
  API_JS,
  FORMAT_JS,
  DRAWER_JS,
  CONFIRM_DIALOG_JS,
  TABS_JS,
  YAML_EDITOR_JS,
  CLUSTERS_VIEW_JS,
  CONNECT_DRAWER_JS,
  CLUSTER_DETAIL_JS,
  CLUSTER_AGENT_TAB_JS,
  CLUSTER_SETTINGS_TAB_JS,
  SETTINGS_VIEW_JS,
  SHELL_JS,
  "})();",
  "",
].join("\n");
