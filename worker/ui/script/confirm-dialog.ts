// Browser JavaScript (see ../app-script.ts): a modal confirmation on the native <dialog>, which
// brings focus containment and Escape to cancel. With typeToConfirm, the confirm button stays
// disabled until the user has typed that exact text.
export const CONFIRM_DIALOG_JS = String.raw`
function confirmDialog(options) {
  return new Promise(function (resolve) {
    const titleId = uniqueId("dialog-title");
    const confirm = h("button", { type: "submit", class: options.danger ? "danger" : "primary" }, options.confirmLabel);
    const cancel = h("button", { type: "button", class: "secondary", onclick: function () { dialog.close("cancel"); } }, "Cancel");
    let typed = null;
    if (options.typeToConfirm) {
      typed = field({
        id: uniqueId("confirm-text"),
        label: "Type " + options.typeToConfirm + " to confirm",
        input: h("input", { type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "none" }),
      });
      confirm.disabled = true;
      typed.input.addEventListener("input", function () {
        confirm.disabled = typed.input.value !== options.typeToConfirm;
      });
    }
    const form = h("form", { method: "dialog", onsubmit: function (event) {
      event.preventDefault();
      if (!confirm.disabled) dialog.close("confirm");
    } },
      h("h2", { id: titleId }, options.title),
      h("p", null, options.message),
      typed ? typed.el : null,
      h("div", { class: "actions" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": titleId }, form);
    const opener = document.activeElement;
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    (typed ? typed.input : cancel).focus();
  });
}
`;
