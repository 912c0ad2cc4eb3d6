// Browser JavaScript (see ../app-script.ts): a modal panel from the right. The rest of the page is
// inert while it is open, Tab wraps inside it, Escape closes it, and focus returns to the opener.
export const DRAWER_JS = String.raw`
function openDrawer(options) {
  const titleId = uniqueId("drawer-title");
  const shell = document.getElementById("shell");
  const body = h("div", { class: "drawer-body" });
  const footer = h("div", { class: "drawer-footer" });
  const closeButton = h("button", { type: "button", class: "icon-button", "aria-label": "Close", onclick: function () { close(); } }, "×");
  const panel = h("div", { class: "drawer", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
    h("div", { class: "drawer-head" }, h("h2", { id: titleId }, options.title), closeButton),
    body,
    footer,
  );
  const backdrop = h("div", { class: "drawer-backdrop", onclick: function () { close(); } });
  const layer = h("div", { class: "drawer-layer" }, backdrop, panel);
  let closed = false;

  function onKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    const items = focusableIn(panel);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !panel.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  }

  function close() {
    if (closed) return;
    closed = true;
    layer.removeEventListener("keydown", onKeydown);
    shell.inert = false;
    layer.remove();
    if (options.onClose) options.onClose();
    if (options.opener && options.opener.isConnected) options.opener.focus();
  }

  layer.closeDrawer = close;
  layer.addEventListener("keydown", onKeydown);
  shell.inert = true;
  document.body.append(layer);
  return { panel: panel, body: body, footer: footer, close: close, closeButton: closeButton };
}
`;
