import { PRESENCE_WINDOW_MS } from "../protocol/control.ts";

/**
 * The last sign of life on a control socket: the later of when it connected and when the
 * runtime last answered its ping (getWebSocketAutoResponseTimestamp; null before the first).
 */
export function lastSignOfLife(connectedAt: number, lastPongAt: Date | null): number {
  return Math.max(connectedAt, lastPongAt?.getTime() ?? 0);
}

/** A socket that has not pinged for the presence window is a dead agent whose close never came. */
export function isSilent(lastSign: number, now: number, windowMs = PRESENCE_WINDOW_MS): boolean {
  return now - lastSign > windowMs;
}
