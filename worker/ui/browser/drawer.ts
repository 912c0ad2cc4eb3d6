// A modal panel from the right. The rest of the page is inert while it is open, Tab wraps inside it,
// Escape closes it, and focus returns to the opener. A drawer holding something that closing would lose
// (a PSK shown once) asks first, whichever way the user tries to close it.
import { focusableIn, h, uniqueId } from "./dom.ts";

export interface DrawerOptions {
  title: string;
  opener?: HTMLElement | null;
  onClose?: () => void;
  /** Asked before a close by the user (backdrop, Escape, ×, Cancel); false keeps the drawer open. */
  mayClose?: () => Promise<boolean>;
}

export interface Drawer {
  panel: HTMLDivElement;
  body: HTMLDivElement;
  footer: HTMLDivElement;
  closeButton: HTMLButtonElement;
  /** Closes without asking (the drawer's own Finish, sign-out). */
  close(): void;
  /** Closes if mayClose agrees; true when the drawer is closed. */
  requestClose(): Promise<boolean>;
}

const openDrawers = new Set<() => void>();

/** Closes every open drawer (sign-out, back/forward navigation). */
export function closeAllDrawers(): void {
  for (const close of [...openDrawers]) close();
}

export function openDrawer(options: DrawerOptions): Drawer {
  const titleId = uniqueId("drawer-title");
  const shell = document.getElementById("shell");
  const body = h("div", { class: "drawer-body" });
  const footer = h("div", { class: "drawer-footer" });
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close", onclick: () => requestClose() },
    "×",
  );
  const panel = h(
    "div",
    { class: "drawer", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
    h("div", { class: "drawer-head" }, h("h2", { id: titleId }, options.title), closeButton),
    body,
    footer,
  );
  const backdrop = h("div", { class: "drawer-backdrop", onclick: () => requestClose() });
  const layer = h("div", { class: "drawer-layer" }, backdrop, panel);
  let closed = false;

  function onKeydown(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      void requestClose();
      return;
    }
    if (event.key !== "Tab") return;
    const items = focusableIn(panel);
    const first = items[0];
    const last = items[items.length - 1];
    if (first === undefined || last === undefined) return;
    const outside = !panel.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  }

  let asking = false;
  async function requestClose(): Promise<boolean> {
    if (closed) return true;
    if (asking) return false;
    asking = true;
    try {
      if (options.mayClose && !(await options.mayClose())) return false;
    } finally {
      asking = false;
    }
    close();
    return true;
  }

  function close(): void {
    if (closed) return;
    closed = true;
    openDrawers.delete(close);
    layer.removeEventListener("keydown", onKeydown);
    if (shell) shell.inert = false;
    layer.remove();
    options.onClose?.();
    if (options.opener?.isConnected) options.opener.focus();
  }

  openDrawers.add(close);
  layer.addEventListener("keydown", onKeydown);
  if (shell) shell.inert = true;
  document.body.append(layer);
  return { panel, body, footer, close, requestClose, closeButton };
}
