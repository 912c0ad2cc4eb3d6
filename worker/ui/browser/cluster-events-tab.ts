// A cluster's Events tab: its history, newest first, refreshed while the page is open, with older
// pages on request.
import { ApiError, messageOf } from "./api.ts";
import { type ClusterEvent, clusterEvents, isFailure } from "./cluster-events.ts";
import { failureFix } from "./cluster-state.ts";
import { h } from "./dom.ts";
import { dateEl, timeEl } from "./format.ts";
import { poll } from "./poll.ts";

const EVENTS_REFRESH_MS = 5000;
const PAGE_SIZE = 50;

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "object" && Object.keys(detail).length === 0) return "";
  return JSON.stringify(detail);
}

function eventItem(e: ClusterEvent): HTMLLIElement {
  const failed = isFailure(e);
  const fix = failed ? failureFix(e.reason) : null;
  const detail = detailText(e.detail);
  return h(
    "li",
    {
      class: ["event", e.type === "Warning" ? "warning" : "", failed ? "failed" : ""].join(" ").trim(),
      dataset: { id: e.id, type: e.type },
    },
    h(
      "div",
      { class: "event-head" },
      e.reason ? h("span", { class: "event-reason" }, e.reason) : null,
      h("span", { class: `event-type ${e.type === "Warning" ? "badge state-degraded" : "muted"}` }, e.type),
      h("span", { class: "event-when" }, timeEl(e.at), " · ", dateEl(e.at)),
    ),
    e.message ? h("p", { class: "event-message" }, e.message) : null,
    fix ? h("p", { class: "fix" }, fix) : null,
    detail ? h("code", { class: "event-detail" }, detail) : null,
  );
}

export function eventsPanel(root: HTMLElement, cluster: string): { stop(): void } {
  const list = h("ol", { class: "timeline", id: "cluster-events", "aria-label": "Events, newest first" });
  const state = h("p", { class: "loading-state", role: "status" }, "Loading events…");
  const problem = h("p", { class: "form-error", role: "alert" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Older events");
  let cursor: string | null = null;
  // Newest page, replaced on every refresh; older pages appended below it and kept.
  let older: ClusterEvent[] = [];
  let newest: ClusterEvent[] = [];

  function render(): void {
    const seen = new Set(newest.map((e) => e.id));
    const all = [...newest, ...older.filter((e) => !seen.has(e.id))];
    list.replaceChildren(...all.map(eventItem));
    state.hidden = all.length !== 0;
    state.textContent = "No events yet: registrations, failures, PSK rotations and path changes show here.";
    more.hidden = cursor === null;
  }

  async function refresh(): Promise<void> {
    try {
      const page = await clusterEvents(cluster, PAGE_SIZE);
      newest = page.items;
      if (older.length === 0) cursor = page.nextCursor;
      problem.textContent = "";
      render();
    } catch (err) {
      state.hidden = true;
      problem.textContent =
        err instanceof ApiError && err.status === 404
          ? "This platform keeps no event history."
          : `Could not load the events: ${messageOf(err)}`;
      throw err;
    }
  }

  more.addEventListener("click", async () => {
    if (cursor === null) return;
    more.disabled = true;
    try {
      const page = await clusterEvents(cluster, PAGE_SIZE, cursor);
      older = [...older, ...page.items];
      cursor = page.nextCursor;
      render();
    } catch (err) {
      problem.textContent = `Could not load older events: ${messageOf(err)}`;
    } finally {
      more.disabled = false;
    }
  });

  root.append(
    h("h2", null, "Events"),
    h(
      "p",
      { class: "hint" },
      "Registrations, failures with their reasons, PSK rotations, path changes and values the agent applied or rejected, newest first. The platform keeps a bounded history.",
    ),
    problem,
    state,
    list,
    more,
  );
  const stop = poll(refresh, EVENTS_REFRESH_MS);
  return { stop };
}
