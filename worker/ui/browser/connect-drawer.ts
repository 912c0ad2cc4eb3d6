// Connect Cluster. Step one names the cluster (and can mark it local and describe it); step two shows
// the connect commands (the PSK is in them, and this is the only time it is shown) and waits, live,
// until the agent is connected or its registration fails. Closing while the PSK is shown asks first.
import type { CreateClusterRequest, CreateClusterResponse } from "../../../protocol/api.ts";
import { clusterNameProblem } from "../../../protocol/cluster-name.ts";
import { ApiError, api, messageOf } from "./api.ts";
import { connectCommands } from "./connect-commands.ts";
import { type ConnectionStatus, connectionStatus } from "./connection-status.ts";
import { field, h, uniqueId } from "./dom.ts";
import { openDrawer } from "./drawer.ts";
import { guardLeaving } from "./leave-guard.ts";
import { clusterPagePath, navigate, UI_BASE } from "./navigation.ts";
import { PSK_LOSS_WARNING, pskGuard } from "./psk-guard.ts";
import { openReconnectDrawer } from "./reconnect-drawer.ts";

export function openConnectDrawer(opener: HTMLElement, onDone: () => void): void {
  let waiting: ConnectionStatus | null = null;
  const drawer = openDrawer({
    title: "Connect Cluster",
    opener,
    mayClose: pskGuard(() => waiting),
    onClose: () => {
      waiting?.stop();
      onDone();
    },
  });

  const displayName = field({
    id: "cc-display-name",
    label: "Display Name",
    input: h("input", { type: "text", autocomplete: "off", required: true, maxlength: "128" }),
  });
  const name = field({
    id: "cc-name",
    label: "Kubernetes Name (ID)",
    optional: true,
    hint: "Lowercase letters, digits and '-' (a DNS-1123 label, at most 63 characters). Leave empty to generate one from the display name.",
    input: h("input", {
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      autocapitalize: "none",
      maxlength: "253",
    }),
  });
  const description = field({
    id: "cc-description",
    label: "Description",
    optional: true,
    input: h("textarea", { rows: "2", maxlength: "4096" }),
  });
  const local = h("input", { type: "checkbox", id: "cc-local" });
  const localField = h(
    "div",
    { class: "field checkbox-field" },
    local,
    h("label", { for: "cc-local" }, "Local cluster"),
    h(
      "p",
      { class: "hint", id: "cc-local-hint" },
      "The platform's own cluster: marked local in the list and the CLI.",
    ),
  );
  local.setAttribute("aria-describedby", "cc-local-hint");
  function checkName(): boolean {
    const value = name.input.value;
    const problem = value === "" ? null : clusterNameProblem(value);
    name.setError(problem);
    return problem === null;
  }
  name.input.addEventListener("input", checkName);
  displayName.input.addEventListener("input", () => {
    if (displayName.input.value.trim()) displayName.setError("");
  });

  const formError = h("p", { class: "form-error", role: "alert" });
  const formId = uniqueId("connect-form");
  const next = h("button", { type: "submit", form: formId, class: "primary" }, "Next");
  const cancel = h(
    "button",
    { type: "button", class: "secondary", onclick: () => drawer.requestClose() },
    "Cancel",
  );
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    formError.textContent = "";
    const display = displayName.input.value.trim();
    const nameOk = checkName();
    if (!display) {
      displayName.setError("Enter a display name.");
      displayName.input.focus();
      return;
    }
    if (!nameOk) {
      name.input.focus();
      return;
    }
    next.disabled = true;
    try {
      const body: CreateClusterRequest = { displayName: display };
      if (name.input.value !== "") body.name = name.input.value;
      if (description.input.value.trim() !== "") body.description = description.input.value;
      if (local.checked) body.local = true;
      showConnection(await api<CreateClusterResponse>("POST", "/api/v1/clusters", { json: body }));
    } catch (err) {
      if (err instanceof ApiError && err.code === "cluster_exists") {
        name.setError(err.message);
        name.input.focus();
      } else {
        formError.textContent = messageOf(err);
      }
      next.disabled = false;
    }
  };
  const form = h(
    "form",
    { id: formId, novalidate: true, onsubmit },
    displayName.el,
    name.el,
    description.el,
    localField,
    formError,
  );

  drawer.body.append(form);
  drawer.footer.append(cancel, next);
  displayName.input.focus();

  function showConnection(created: CreateClusterResponse): void {
    const cluster = created.cluster;
    const hint = h(
      "div",
      { class: "next-step", hidden: true },
      h("h4", null, "Next step"),
      h(
        "p",
        null,
        "Open ",
        h("a", { href: clusterPagePath(cluster.name) }, cluster.displayName),
        " to set its Extra Agent Values (for example an expose list), or run ",
        h("code", null, "tether agent status"),
        " next to the agent to see its peers and paths.",
      ),
    );
    // After a refused registration the fix is a new PSK: Reconnect rotates it and shows new commands
    // in a drawer of its own (the PSK shown here stops working, so nothing is lost by leaving).
    const reconnect: HTMLButtonElement = h(
      "button",
      {
        type: "button",
        class: "secondary",
        hidden: true,
        onclick: () => {
          drawer.close();
          openReconnectDrawer({ opener, cluster, rotateNow: true, onDone });
        },
      },
      "Reconnect with a new PSK",
    );
    waiting = connectionStatus({
      cluster: cluster.name,
      since: Date.parse(cluster.createdAt),
      seenAfter: -1,
      onConnected: () => {
        hint.hidden = false;
        reconnect.hidden = true;
      },
      onFailed: () => {
        reconnect.hidden = false;
      },
    });
    const headingId = uniqueId("cc-connection");
    const heading = h("h3", { id: headingId, tabindex: "-1" }, "Cluster Connection");
    const section = h(
      "section",
      { class: "connection", "aria-labelledby": headingId },
      heading,
      h(
        "p",
        null,
        "Cluster ",
        h("strong", null, cluster.displayName),
        " (",
        h("code", null, cluster.name),
        ") is created. Install its agent in the cluster:",
      ),
      ...connectCommands(created.connect),
      h(
        "p",
        { class: "warning" },
        "The commands carry the cluster's pre-shared key (PSK), in the environment rather than the agent's arguments, and a key that reads this cluster's agent values. They are shown only this once; the PSK registers agents for this cluster until you rotate it from the cluster's Agent tab (do that if it is lost or leaked).",
      ),
      waiting.el,
      reconnect,
      hint,
    );
    const status = waiting;
    guardLeaving({
      owner: section,
      reason: () => (status.connected() ? null : PSK_LOSS_WARNING),
    });
    form.remove();
    cancel.remove();
    next.remove();
    const finish = h(
      "button",
      {
        type: "button",
        class: "primary",
        onclick: async () => {
          if (await drawer.requestClose()) navigate(UI_BASE);
        },
      },
      "Finish",
    );
    drawer.footer.append(finish);
    drawer.body.append(section);
    heading.focus();
  }
}
