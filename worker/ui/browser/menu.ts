// A menu button (WAI-ARIA menu pattern): the button opens a list of actions; arrows move between
// them, Enter runs one, Escape or a click elsewhere closes the menu and focus returns to the button.
import { h, uniqueId } from "./dom.ts";

export interface MenuItem {
  label: string;
  danger?: boolean;
  run(opener: HTMLButtonElement): void;
}

export function menuButton(label: string, items: () => readonly MenuItem[]): HTMLElement {
  const menuId = uniqueId("menu");
  const button: HTMLButtonElement = h(
    "button",
    {
      type: "button",
      class: "secondary small menu-button",
      "aria-label": label,
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-controls": menuId,
      onclick: () => (list.hidden ? open() : close(true)),
    },
    h("span", { "aria-hidden": "true" }, "⋯"),
  );
  const list: HTMLUListElement = h("ul", {
    class: "menu",
    role: "menu",
    id: menuId,
    "aria-label": label,
    hidden: true,
  });
  const wrap = h("div", { class: "menu-wrap" }, button, list);

  function entries(): HTMLButtonElement[] {
    return Array.from(list.querySelectorAll<HTMLButtonElement>("[role=menuitem]"));
  }

  function onOutside(event: Event): void {
    if (event.target instanceof Node && wrap.contains(event.target)) return;
    close(false);
  }

  function open(): void {
    list.replaceChildren(
      ...items().map((item) =>
        h(
          "li",
          { role: "none" },
          h(
            "button",
            {
              type: "button",
              role: "menuitem",
              tabindex: "-1",
              class: item.danger ? "menu-item danger-text" : "menu-item",
              onclick: () => {
                close(true);
                item.run(button);
              },
            },
            item.label,
          ),
        ),
      ),
    );
    list.hidden = false;
    // Fixed to the viewport, so a table's scroll box cannot clip it (CSSOM, which the CSP allows).
    const at = button.getBoundingClientRect();
    const below = window.innerHeight - at.bottom > list.offsetHeight + 8;
    list.style.top = `${below ? at.bottom + 4 : Math.max(4, at.top - list.offsetHeight - 4)}px`;
    list.style.left = `${Math.max(4, Math.min(at.right - list.offsetWidth, window.innerWidth - list.offsetWidth - 4))}px`;
    button.setAttribute("aria-expanded", "true");
    window.addEventListener("scroll", onScroll, true);
    document.addEventListener("pointerdown", onOutside, true);
    entries()[0]?.focus();
  }

  // A fixed menu would float away from its row when the page scrolls; it closes instead.
  function onScroll(event: Event): void {
    if (event.target instanceof Node && list.contains(event.target)) return;
    close(false);
  }

  function close(focusButton: boolean): void {
    if (list.hidden) return;
    list.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", onOutside, true);
    window.removeEventListener("scroll", onScroll, true);
    if (focusButton) button.focus();
  }

  list.addEventListener("keydown", (event) => {
    const all = entries();
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    let next: number | null = null;
    if (event.key === "ArrowDown") next = (at + 1) % all.length;
    else if (event.key === "ArrowUp") next = (at - 1 + all.length) % all.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = all.length - 1;
    else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    } else if (event.key === "Tab") {
      close(false);
      return;
    }
    if (next === null) return;
    event.preventDefault();
    all[next]?.focus();
  });
  return wrap;
}
