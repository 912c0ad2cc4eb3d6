// A YAML textarea whose save errors show under it with line and column. The platform parses (its 422
// carries details.line and details.column), so the page and the API can never disagree about what is
// valid.
import { ApiError, messageOf } from "./api.ts";
import { field, h } from "./dom.ts";

export interface YamlEditorOptions {
  id: string;
  label: string;
  hint: string;
  rows?: number;
  saveLabel?: string;
  /** Until setText is called the editor is disabled, so an early save cannot overwrite stored values. */
  loading?: boolean;
  save(text: string): Promise<void>;
}

export interface YamlEditor {
  el: HTMLFormElement;
  textarea: HTMLTextAreaElement;
  setText(text: string): void;
}

export function yamlEditor(options: YamlEditorOptions): YamlEditor {
  const input = h("textarea", {
    class: "code",
    rows: String(options.rows ?? 12),
    spellcheck: "false",
    autocapitalize: "none",
    wrap: "off",
    disabled: Boolean(options.loading),
  });
  const f = field({ id: options.id, label: options.label, hint: options.hint, hintFirst: true, input });
  f.el.classList.add("section-field");
  const saved = h("span", { class: "saved", role: "status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, options.saveLabel ?? "Save");
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    f.setError("");
    saved.textContent = "";
    save.disabled = true;
    try {
      await options.save(input.value);
      saved.textContent = "Saved.";
    } catch (err) {
      showProblem(err);
    } finally {
      save.disabled = false;
    }
  };
  const form = h(
    "form",
    { class: "yaml-editor", novalidate: true, onsubmit },
    f.el,
    h("div", { class: "actions" }, save, saved),
  );
  save.disabled = Boolean(options.loading);

  function showProblem(err: unknown): void {
    const line = err instanceof ApiError ? err.details.line : undefined;
    const column = err instanceof ApiError ? err.details.column : undefined;
    const message = messageOf(err);
    if (typeof line !== "number" || typeof column !== "number") {
      f.setError(message);
      return;
    }
    const m = /\): ([\s\S]*)$/.exec(message);
    f.setError(`Line ${line}, column ${column}: ${m?.[1] ?? message}`);
    const offset = offsetOf(input.value, line, column);
    input.focus();
    input.setSelectionRange(offset, offset);
  }

  return {
    el: form,
    setText(text: string) {
      input.value = text;
      input.disabled = false;
      save.disabled = false;
      f.setError("");
    },
    textarea: input,
  };
}

/** The character offset of a 1-based line and column, clamped to the text. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf("\n", offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  const end = text.indexOf("\n", offset);
  return Math.min(offset + column - 1, end === -1 ? text.length : end);
}
