// Building the page. Every value reaches it through text nodes or attributes, never innerHTML.

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type PropValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Record<string, string>
  | ((event: Event) => unknown);
export type Props = Record<string, PropValue>;

/** document.createElement with attributes, `on…` listeners, `class`, `value`, `dataset` and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === "function") {
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    } else if (typeof value === "object") {
      if (key === "dataset") Object.assign(el.dataset, value);
    } else if (key === "class") el.className = String(value);
    else if (key === "value" && "value" in el) el.value = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) append(el, child);
  return el;
}

export function append(el: Element, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(el, c);
  } else el.append(child instanceof Node ? child : String(child));
}

/** replaceChildren that, like h(), skips null and false instead of printing them. */
export function setChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const child of children) append(el, child);
}

let uniqueIdCounter = 0;
export function uniqueId(prefix: string): string {
  uniqueIdCounter += 1;
  return `${prefix}-${uniqueIdCounter}`;
}

const FOCUSABLE =
  "a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

export function focusableIn(root: Element): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.closest("[hidden]") && el.getClientRects().length > 0,
  );
}

export interface CopyableOptions {
  codeClass?: string;
  /** A shell command: wrap between its words, never at the hyphens of "--cluster". */
  words?: boolean;
}

/** A read-only block of text with a Copy button; the text stays selectable for browsers without clipboard access. */
export function copyable(label: string, text: string, options: CopyableOptions = {}): HTMLDivElement {
  const id = uniqueId("copy");
  const code = h("code", { id, class: options.codeClass ?? "" });
  // The text (and so what Copy copies) stays exactly the same when split into word spans.
  if (options.words) {
    text.split(" ").forEach((word, i) => {
      if (i > 0) code.append(" ");
      code.append(h("span", { class: "word" }, word));
    });
  } else {
    code.textContent = text;
  }
  const done = h("span", { class: "copy-done", role: "status", "aria-live": "polite" });
  const onclick = async () => {
    try {
      await navigator.clipboard.writeText(code.textContent ?? "");
      done.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      done.textContent = "Selected: press Ctrl+C to copy";
    }
    setTimeout(() => {
      done.textContent = "";
    }, 2500);
  };
  const button = h(
    "button",
    { type: "button", class: "secondary small", "aria-describedby": id, onclick },
    "Copy",
  );
  button.setAttribute("aria-label", `Copy ${label}`);
  return h(
    "div",
    { class: "copyable" },
    h("pre", { tabindex: "0", "aria-label": label }, code),
    h("div", { class: "copy-actions" }, button, done),
  );
}

export interface FieldOptions<I extends HTMLInputElement | HTMLTextAreaElement> {
  id: string;
  label: string;
  input: I;
  hint?: string;
  optional?: boolean;
  /** The hint between label and input (for editors, whose input is tall). */
  hintFirst?: boolean;
}

export interface Field<I> {
  el: HTMLDivElement;
  input: I;
  setError(message: string | null): void;
}

/** A labelled input with an optional hint and an error line, both tied to it with aria-describedby. */
export function field<I extends HTMLInputElement | HTMLTextAreaElement>(options: FieldOptions<I>): Field<I> {
  const { id, input } = options;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  input.id = id;
  input.setAttribute("aria-describedby", (options.hint ? `${hintId} ` : "") + errorId);
  const label = h(
    "label",
    { for: id },
    options.label,
    options.optional ? h("span", { class: "optional" }, " (optional)") : null,
  );
  const error = h("p", { id: errorId, class: "field-error" });
  function setError(message: string | null): void {
    error.textContent = message ?? "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  const hint = options.hint ? h("p", { id: hintId, class: "hint" }, options.hint) : null;
  const el = options.hintFirst
    ? h("div", { class: "field" }, label, hint, input, error)
    : h("div", { class: "field" }, label, input, hint, error);
  return { el, input, setError };
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** A short message in the polite live region at the bottom of the page. */
export function toast(message: string): void {
  const region = document.getElementById("toast");
  if (region === null) return;
  region.textContent = message;
  region.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    region.hidden = true;
    region.textContent = "";
  }, 5000);
}
