// Connect Cluster. Step one names the cluster; step two shows the connect command (the PSK is in it,
// and this is the only time it is shown) and waits, polling the cluster, until its agent is online.
import type { Cluster, CreateClusterRequest, CreateClusterResponse } from "../../../protocol/api.ts";
import { clusterNameProblem } from "../../../protocol/cluster-name.ts";
import { ApiError, api, clusterPath, messageOf } from "./api.ts";
import { connectCommands } from "./connect-commands.ts";
import { field, h, uniqueId } from "./dom.ts";
import { openDrawer } from "./drawer.ts";
import { clusterPagePath, navigate, REFRESH_MS, UI_BASE } from "./navigation.ts";
import { poll } from "./poll.ts";

export function openConnectDrawer(opener: HTMLElement, onDone: () => void): void {
  let stopWaiting: (() => void) | null = null;
  const drawer = openDrawer({
    title: "Connect Cluster",
    opener,
    onClose: () => {
      stopWaiting?.();
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
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => drawer.close() }, "Cancel");
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
  const form = h("form", { id: formId, novalidate: true, onsubmit }, displayName.el, name.el, formError);

  drawer.body.append(form);
  drawer.footer.append(cancel, next);
  displayName.input.focus();

  function showConnection(created: CreateClusterResponse): void {
    const cluster = created.cluster;
    const statusText = h("span", null, "Waiting for agent…");
    const spinner = h("span", { class: "spinner", "aria-hidden": "true" });
    const status = h(
      "p",
      { class: "connection-status waiting", role: "status", "aria-live": "polite", id: "cc-status" },
      spinner,
      statusText,
    );
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
      status,
      hint,
    );
    form.remove();
    cancel.remove();
    next.remove();
    const finish = h(
      "button",
      {
        type: "button",
        class: "primary",
        onclick: () => {
          drawer.close();
          navigate(UI_BASE);
        },
      },
      "Finish",
    );
    drawer.footer.append(finish);
    drawer.body.append(section);
    heading.focus();

    stopWaiting = poll(async () => {
      const current = await api<Cluster>("GET", clusterPath(cluster.name));
      if (!current.status.online) return;
      stopWaiting?.();
      status.classList.remove("waiting");
      status.classList.add("connected");
      spinner.remove();
      status.prepend(h("span", { class: "check", "aria-hidden": "true" }, "✓"));
      const version = current.status.agentVersion;
      statusText.textContent = `Connected${version ? ` (agent ${version})` : ""}`;
      hint.hidden = false;
    }, REFRESH_MS);
  }
}
