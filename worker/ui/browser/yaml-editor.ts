// A YAML textarea whose save errors show under it: a parse error with line and column (details.line
// and details.column), values the agent's schema refuses with their paths (details.issues). The
// platform checks, so the page and the API can never disagree about what is valid. Unsaved text
// holds the user on the page: leaving asks first.
import { ApiError, messageOf } from "./api.ts";
import { field, h } from "./dom.ts";
import { guardLeaving } from "./leave-guard.ts";

export interface ValuesIssue {
  path: string;
  message: string;
}

/** details.issues of a 422 invalid_values answer, when it has that shape. */
export function valuesIssues(details: Record<string, unknown>): ValuesIssue[] | null {
  const issues = details.issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  const out: ValuesIssue[] = [];
  for (const issue of issues) {
    if (typeof issue !== "object" || issue === null) return null;
    const { path, message } = issue as Record<string, unknown>;
    if (typeof path !== "string" || typeof message !== "string") return null;
    out.push({ path, message });
  }
  return out;
}

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
  /** The text differs from what was loaded or last saved. */
  dirty(): boolean;
}

export const UNSAVED_WARNING = "The values editor has unsaved changes.";

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
  const unsaved = h("span", { class: "unsaved", hidden: true }, "Unsaved changes");
  const issuesList = h("ul", { class: "issues", id: `${options.id}-issues`, hidden: true });
  // The text as stored: what setText loaded or the last save wrote.
  let stored = "";
  const isDirty = (): boolean => !input.disabled && input.value !== stored;
  const showDirty = (): void => {
    unsaved.hidden = !isDirty();
    if (!unsaved.hidden) saved.textContent = "";
  };
  input.addEventListener("input", showDirty);
  const save = h("button", { type: "submit", class: "primary" }, options.saveLabel ?? "Save");
  const onsubmit = async (event: Event) => {
    event.preventDefault();
    f.setError("");
    showIssues(null);
    saved.textContent = "";
    save.disabled = true;
    const text = input.value;
    try {
      await options.save(text);
      stored = text;
      showDirty();
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
    issuesList,
    h("div", { class: "actions" }, save, saved, unsaved),
  );
  guardLeaving({ owner: form, reason: () => (isDirty() ? UNSAVED_WARNING : null) });
  save.disabled = Boolean(options.loading);

  function showIssues(issues: ValuesIssue[] | null): void {
    issuesList.replaceChildren(
      ...(issues ?? []).map((i) =>
        h("li", null, h("code", { class: "issue-path" }, i.path || "(top level)"), ": ", i.message),
      ),
    );
    issuesList.hidden = issues === null;
  }

  function showProblem(err: unknown): void {
    const issues = err instanceof ApiError ? valuesIssues(err.details) : null;
    if (issues) {
      f.setError(
        `The agent's values schema refuses ${issues.length === 1 ? "this value" : `these ${issues.length} values`}; nothing was saved:`,
      );
      showIssues(issues);
      input.focus();
      return;
    }
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
      stored = text;
      input.disabled = false;
      save.disabled = false;
      f.setError("");
      showIssues(null);
      showDirty();
    },
    dirty: isDirty,
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
