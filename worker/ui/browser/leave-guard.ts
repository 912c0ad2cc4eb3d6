// Work that leaving would lose: unsaved editor text, a PSK shown only once. Whatever holds such work
// registers a guard; in-app navigation asks before it goes, and the browser asks before a reload or
// a closed tab (beforeunload).
import { confirmDialog } from "./confirm-dialog.ts";

export interface LeaveGuard {
  /** While this element is on the page the guard counts; once it is gone the guard is dropped. */
  owner: Element;
  /** Why leaving would lose something, or null when nothing would be lost now. */
  reason(): string | null;
}

const guards = new Set<LeaveGuard>();

/** Registers a guard; the returned function removes it. */
export function guardLeaving(guard: LeaveGuard): () => void {
  guards.add(guard);
  return () => guards.delete(guard);
}

/** The reasons that hold now (guards whose owner left the page are dropped). */
export function leaveReasons(): string[] {
  const reasons: string[] = [];
  for (const guard of [...guards]) {
    if (!guard.owner.isConnected) {
      guards.delete(guard);
      continue;
    }
    const reason = guard.reason();
    if (reason) reasons.push(reason);
  }
  return reasons;
}

/** True when nothing would be lost, or the user agreed to lose it. */
export async function mayLeave(): Promise<boolean> {
  const reasons = leaveReasons();
  if (reasons.length === 0) return true;
  return confirmDialog({
    title: "Leave this page?",
    message: `${reasons.join(" ")} Leave anyway?`,
    confirmLabel: "Leave",
    cancelLabel: "Stay",
    danger: true,
  });
}

/** The browser's own prompt for reloads and closed tabs; it shows no text of ours. */
export function onBeforeUnload(event: BeforeUnloadEvent): void {
  if (leaveReasons().length === 0) return;
  event.preventDefault();
  // Older Chromium asks only when returnValue is set.
  event.returnValue = "";
}
