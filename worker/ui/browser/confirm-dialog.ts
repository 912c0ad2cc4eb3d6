// A modal confirmation on the native <dialog>, which brings focus containment and Escape to cancel.
// With typeToConfirm, the confirm button stays disabled until the user has typed that exact text.
import { type Field, field, h, uniqueId } from "./dom.ts";

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  typeToConfirm?: string;
}

/** Resolves true when the user confirmed, false when they cancelled or pressed Escape. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uniqueId("dialog-title");
    const confirm = h(
      "button",
      { type: "submit", class: options.danger ? "danger" : "primary" },
      options.confirmLabel,
    );
    const cancel: HTMLButtonElement = h(
      "button",
      { type: "button", class: "secondary", onclick: (): void => dialog.close("cancel") },
      options.cancelLabel ?? "Cancel",
    );
    let typed: Field<HTMLInputElement> | null = null;
    const expected = options.typeToConfirm;
    if (expected) {
      const input = h("input", {
        type: "text",
        autocomplete: "off",
        spellcheck: "false",
        autocapitalize: "none",
      });
      typed = field({ id: uniqueId("confirm-text"), label: `Type ${expected} to confirm`, input });
      confirm.disabled = true;
      input.addEventListener("input", () => {
        confirm.disabled = input.value !== expected;
      });
    }
    const onsubmit = (event: Event): void => {
      event.preventDefault();
      if (!confirm.disabled) dialog.close("confirm");
    };
    const form: HTMLFormElement = h(
      "form",
      { method: "dialog", onsubmit },
      h("h2", { id: titleId }, options.title),
      h("p", null, options.message),
      typed ? typed.el : null,
      h("div", { class: "actions" }, cancel, confirm),
    );
    const dialog: HTMLDialogElement = h("dialog", { class: "confirm", "aria-labelledby": titleId }, form);
    const opener = document.activeElement;
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    (typed ? typed.input : cancel).focus();
  });
}

/** Closes every open dialog as cancelled (sign-out, back/forward navigation). */
export function closeAllDialogs(): void {
  for (const d of document.querySelectorAll<HTMLDialogElement>("dialog[open]")) d.close();
}
