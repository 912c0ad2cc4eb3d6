import { ApiError } from "./api.ts";

/** Repeats fn every ms milliseconds (after each run finishes) until the returned stop is called. */
export function poll(fn: () => Promise<void>, ms: number): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      await fn();
    } catch (err) {
      // The views show API errors themselves; anything else is a bug worth a console line.
      if (!(err instanceof ApiError))
        console.error("refresh failed:", err instanceof Error ? err.message : err);
    }
    if (!stopped) timer = setTimeout(tick, ms);
  }
  void tick();
  return function stop() {
    stopped = true;
    clearTimeout(timer);
  };
}
