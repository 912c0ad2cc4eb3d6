// How old the data on a view is. A view that polls tells this when a load worked or failed; once
// the data is older than its refresh allows, the banner says how old, and the view greys what it
// shows, so nothing looks live that is not.
import { h } from "./dom.ts";

export type Clock = () => number;

/**
 * The age (ms) past which data counts as stale: two refreshes. One refresh plus the request's own
 * time is normal (polls start after the previous one finished), so a single interval would flicker.
 */
export function staleAfterMs(refreshMs: number): number {
  return refreshMs * 2;
}

/** The banner's words for data loaded at `loadedAt` (null: never), or "" when it is fresh. */
export function stalenessText(
  loadedAt: number | null,
  now: number,
  refreshMs: number,
  problem: string | null,
): string {
  const because = problem ? ` ${problem}` : "";
  if (loadedAt === null) return problem ? `Could not load the data.${because}` : "";
  const age = now - loadedAt;
  if (age <= staleAfterMs(refreshMs)) return "";
  const seconds = Math.floor(age / 1000);
  return `Data is ${seconds} s old: it is no longer refreshing, so what is shown may not be current.${because}`;
}

export interface Freshness {
  /** The banner (hidden while the data is fresh). */
  el: HTMLElement;
  loaded(): void;
  failed(message: string): void;
  stale(): boolean;
  stop(): void;
}

export interface FreshnessOptions {
  refreshMs: number;
  /** Called when the data turns stale or fresh again. */
  onChange(stale: boolean): void;
  clock?: Clock;
}

export function freshness(options: FreshnessOptions): Freshness {
  const clock = options.clock ?? Date.now;
  const el = h("p", { class: "stale-banner", role: "status", "aria-live": "polite", hidden: true });
  let loadedAt: number | null = null;
  let problem: string | null = null;
  let wasStale = false;

  function update(): void {
    const text = stalenessText(loadedAt, clock(), options.refreshMs, problem);
    el.textContent = text;
    el.hidden = text === "";
    const isStale = loadedAt !== null && text !== "";
    if (isStale !== wasStale) {
      wasStale = isStale;
      options.onChange(isStale);
    }
  }
  // Every second, so the age in the banner counts up while nothing else on the page moves.
  const timer = setInterval(update, 1000);
  return {
    el,
    loaded() {
      loadedAt = clock();
      problem = null;
      update();
    },
    failed(message: string) {
      problem = message;
      update();
    },
    stale: () => wasStale,
    stop: () => clearInterval(timer),
  };
}
