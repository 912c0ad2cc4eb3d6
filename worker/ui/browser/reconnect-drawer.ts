// Reconnect (and Connect, for a cluster whose first command was lost): a PSK rotation, then the full
// set of connect commands and a live status. Rotating is the admin's consent to re-bind: the next
// agent that registers with the new PSK takes the cluster over, even one started from a fresh state.
import { CREDENTIAL_REVOKED } from "../../../protocol/api/constants.ts";
import type { Cluster, RotatePskResponse } from "../../../protocol/api.ts";
import { api, clusterPath, messageOf } from "./api.ts";
import { connectCommands } from "./connect-commands.ts";
import { type ConnectionStatus, connectionStatus } from "./connection-status.ts";
import { h, uniqueId } from "./dom.ts";
import { openDrawer } from "./drawer.ts";
import { guardLeaving } from "./leave-guard.ts";
import { PSK_LOSS_WARNING, pskGuard } from "./psk-guard.ts";

export interface ReconnectOptions {
  opener: HTMLElement | null;
  cluster: Cluster;
  /** Rotate at once (the user already confirmed elsewhere) instead of explaining first. */
  rotateNow?: boolean;
  onDone?: () => void;
}

/** "Connect" for a cluster no agent ever registered for, "Reconnect" after (and after a revocation). */
export function reconnectLabel(cluster: Cluster): string {
  const revoked = cluster.status.reason === CREDENTIAL_REVOKED;
  return cluster.status.lastSeen === null && !revoked ? "Connect" : "Reconnect";
}

export function openReconnectDrawer(options: ReconnectOptions): void {
  const { cluster } = options;
  const label = reconnectLabel(cluster);
  let waiting: ConnectionStatus | null = null;
  const drawer = openDrawer({
    title: `${label} ${cluster.displayName}`,
    opener: options.opener,
    mayClose: pskGuard(() => waiting),
    onClose: () => {
      waiting?.stop();
      options.onDone?.();
    },
  });
  const problem = h("p", { class: "form-error", role: "alert" });
  const rotate = h(
    "button",
    { type: "button", class: "primary", onclick: () => void rotateAndShow() },
    "Rotate PSK and show commands",
  );
  const cancel = h(
    "button",
    { type: "button", class: "secondary", onclick: () => drawer.requestClose() },
    "Cancel",
  );
  const intro = h(
    "div",
    { class: "reconnect-intro" },
    h(
      "p",
      null,
      "A new pre-shared key (PSK) replaces the current one, which stops working at once, and the cluster's earlier values keys are revoked with it.",
    ),
    h(
      "p",
      null,
      "The next agent that registers with the new PSK takes this cluster over, even one started from a fresh state (a new WireGuard key or a new Kubernetes cluster UID). The agent registered now, if any, keeps running until then.",
    ),
    problem,
  );

  async function rotateAndShow(): Promise<void> {
    rotate.disabled = true;
    problem.textContent = "";
    // The heartbeat the old agent last sent; Connected means a later one, from the new command.
    const before = await api<Cluster>("GET", clusterPath(cluster.name)).catch(() => cluster);
    let res: RotatePskResponse;
    try {
      res = await api<RotatePskResponse>("POST", `${clusterPath(cluster.name)}/rotate-psk`);
    } catch (err) {
      problem.textContent = `Could not rotate the PSK: ${messageOf(err)}`;
      rotate.disabled = false;
      return;
    }
    const seenBefore = before.status.lastSeen === null ? -1 : Date.parse(before.status.lastSeen);
    waiting = connectionStatus({
      cluster: cluster.name,
      since: Math.max(seenBefore, 0),
      seenAfter: seenBefore,
    });
    const headingId = uniqueId("reconnect-commands");
    const heading = h("h3", { id: headingId, tabindex: "-1" }, "New connect commands");
    const section = h(
      "section",
      { class: "connection", "aria-labelledby": headingId },
      heading,
      h(
        "p",
        { class: "warning", role: "status" },
        "New PSK and values key created; the old ones no longer work. ",
        PSK_LOSS_WARNING,
      ),
      ...connectCommands(res.connect),
      waiting.el,
    );
    const status = waiting;
    guardLeaving({ owner: section, reason: () => (status.connected() ? null : PSK_LOSS_WARNING) });
    intro.remove();
    rotate.remove();
    cancel.remove();
    drawer.footer.append(
      h("button", { type: "button", class: "primary", onclick: () => drawer.requestClose() }, "Done"),
    );
    drawer.body.append(section);
    heading.focus();
  }

  drawer.body.append(intro);
  drawer.footer.append(cancel, rotate);
  if (options.rotateNow) void rotateAndShow();
  else rotate.focus();
}
