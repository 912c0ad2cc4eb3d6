// Browser JavaScript (see ../app-script.ts): WAI-ARIA tabs; arrow keys, Home and End move between them.
export const TABS_JS = String.raw`
function tabs(label, items) {
  const list = h("div", { class: "tabs", role: "tablist", "aria-label": label });
  const panels = [];
  const buttons = items.map(function (item, i) {
    const tabId = uniqueId("tab");
    const panelId = uniqueId("panel");
    const button = h("button", { type: "button", role: "tab", id: tabId, "aria-controls": panelId, dataset: { tab: item.key }, onclick: function () { select(i); } }, item.label);
    const panel = h("div", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, tabindex: "0", class: "tab-panel" }, item.content);
    panels.push(panel);
    list.append(button);
    return button;
  });
  function select(index, focus) {
    buttons.forEach(function (b, i) {
      const on = i === index;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    if (focus) buttons[index].focus();
  }
  list.addEventListener("keydown", function (event) {
    const current = buttons.indexOf(document.activeElement);
    if (current === -1) return;
    let next = null;
    if (event.key === "ArrowRight") next = (current + 1) % buttons.length;
    else if (event.key === "ArrowLeft") next = (current - 1 + buttons.length) % buttons.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next === null) return;
    event.preventDefault();
    select(next, true);
  });
  select(0);
  return { el: h("div", { class: "tab-set" }, list, panels), select: select };
}
`;
