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
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", onOutside, true);
    entries()[0]?.focus();
  }

  function close(focusButton: boolean): void {
    if (list.hidden) return;
    list.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", onOutside, true);
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
