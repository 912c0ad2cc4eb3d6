// WAI-ARIA tabs; arrow keys, Home and End move between them.
import { h, uniqueId } from "./dom.ts";

export interface TabItem {
  key: string;
  label: string;
  content: Node;
}

export interface TabSet {
  el: HTMLDivElement;
  select(index: number, focus?: boolean): void;
}

export interface TabOptions {
  /** The tab shown first. */
  initial?: number;
  /** After the user picks a tab (the page records it in the URL). */
  onSelect?: (item: TabItem) => void;
}

export function tabs(label: string, items: readonly TabItem[], options: TabOptions = {}): TabSet {
  const list = h("div", { class: "tabs", role: "tablist", "aria-label": label });
  const panels: HTMLDivElement[] = [];
  const buttons = items.map((item, i) => {
    const tabId = uniqueId("tab");
    const panelId = uniqueId("panel");
    const button = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: tabId,
        "aria-controls": panelId,
        dataset: { tab: item.key },
        onclick: () => pick(i),
      },
      item.label,
    );
    const panel = h(
      "div",
      { role: "tabpanel", id: panelId, "aria-labelledby": tabId, tabindex: "0", class: "tab-panel" },
      item.content,
    );
    panels.push(panel);
    list.append(button);
    return button;
  });
  function select(index: number, focus = false): void {
    buttons.forEach((b, i) => {
      const on = i === index;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      const panel = panels[i];
      if (panel) panel.hidden = !on;
    });
    if (focus) buttons[index]?.focus();
  }
  function pick(index: number, focus = false): void {
    select(index, focus);
    const item = items[index];
    if (item) options.onSelect?.(item);
  }
  list.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    const current = active instanceof HTMLButtonElement ? buttons.indexOf(active) : -1;
    if (current === -1) return;
    let next: number | null = null;
    if (event.key === "ArrowRight") next = (current + 1) % buttons.length;
    else if (event.key === "ArrowLeft") next = (current - 1 + buttons.length) % buttons.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next === null) return;
    event.preventDefault();
    pick(next, true);
  });
  select(options.initial ?? 0);
  return { el: h("div", { class: "tab-set" }, list, panels), select };
}
