/**
 * Time for every part that decides on it (the control client, Conn, each peer
 * endpoint, the engine's tick). Passing a clock in, instead of calling
 * Date.now() and setTimeout() directly, is what lets their decisions (glare
 * wait, relay fallback, re-registration) be tested with a fake clock.
 */

/** Cancels a scheduled callback; calling it twice, or after it ran, does nothing. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds. Only differences matter, except where a caller says it wants wall time. */
  now(): number;
  /** Runs `fn` once, `ms` from now. */
  schedule(ms: number, fn: () => void): Cancel;
}

function realSchedule(ms: number, fn: () => void): Cancel {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

/** Wall-clock milliseconds (Date.now): what the agent has always used, and what its status reports. */
export const systemClock: Clock = { now: () => Date.now(), schedule: realSchedule };

/** A clock that never steps (performance.now), for the runnable peer. */
export const monotonicClock: Clock = { now: () => performance.now(), schedule: realSchedule };
