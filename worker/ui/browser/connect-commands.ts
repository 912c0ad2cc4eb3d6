/** The connect commands as the drawer and PSK rotation show them: Helm first, then kubectl, then the CLI. */
import type { ConnectInstructions } from "../../../protocol/api.ts";
import { copyable, h } from "./dom.ts";

export function connectCommands(connect: ConnectInstructions): HTMLElement[] {
  return [
    h("h4", null, "Helm (the chart is served by this platform)"),
    copyable("helm command", connect.helm, { codeClass: "helm-command", words: true }),
    h(
      "details",
      null,
      h("summary", null, "kubectl instead: the same chart rendered by helm template"),
      copyable("kubectl commands", connect.kubectl, { codeClass: "kubectl-command" }),
    ),
    h("h4", null, "Or the tether CLI, on any machine"),
    copyable("connect command", connect.cli, { codeClass: "connect-command", words: true }),
  ];
}
