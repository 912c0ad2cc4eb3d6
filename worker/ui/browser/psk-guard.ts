// A PSK is shown once. While a drawer shows one and no agent has connected with it, closing the
// drawer asks first.
import { confirmDialog } from "./confirm-dialog.ts";
import type { ConnectionStatus } from "./connection-status.ts";

export const PSK_LOSS_WARNING =
  "The PSK is shown only this once; after closing, only a rotation makes a new one.";

/** Asks before a drawer showing a PSK closes, unless its agent is already connected. */
export function pskGuard(status: () => ConnectionStatus | null): () => Promise<boolean> {
  return async () => {
    const s = status();
    if (s === null || s.connected()) return true;
    return confirmDialog({
      title: "Close without the PSK?",
      message: `${PSK_LOSS_WARNING} Copy the commands first if the agent is not installed yet.`,
      confirmLabel: "Close",
      cancelLabel: "Keep open",
      danger: true,
    });
  };
}
