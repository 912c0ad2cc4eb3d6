// Browser JavaScript (see ../app-script.ts): a YAML textarea whose save errors show under it with
// line and column. The platform parses (its 422 carries details.line and details.column), so the
// page and the API can never disagree about what is valid.
export const YAML_EDITOR_JS = String.raw`
function yamlEditor(options) {
  const f = field({
    id: options.id,
    label: options.label,
    hint: options.hint,
    hintFirst: true,
    input: h("textarea", { class: "code", rows: String(options.rows || 12), spellcheck: "false", autocapitalize: "none", wrap: "off", disabled: options.loading ? true : false }),
  });
  f.el.classList.add("section-field");
  const saved = h("span", { class: "saved", role: "status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, options.saveLabel || "Save");
  const form = h("form", { class: "yaml-editor", novalidate: true, onsubmit: async function (event) {
    event.preventDefault();
    f.setError("");
    saved.textContent = "";
    save.disabled = true;
    try {
      await options.save(f.input.value);
      saved.textContent = "Saved.";
    } catch (err) {
      showProblem(err);
    } finally {
      save.disabled = false;
    }
  } }, f.el, h("div", { class: "actions" }, save, saved));
  // Until the text is in, a save would overwrite the stored values with whatever was typed early.
  save.disabled = Boolean(options.loading);

  function showProblem(err) {
    const line = err.details && err.details.line;
    const column = err.details && err.details.column;
    if (typeof line !== "number" || typeof column !== "number") {
      f.setError(err.message);
      return;
    }
    const m = /\): ([\s\S]*)$/.exec(err.message);
    f.setError("Line " + line + ", column " + column + ": " + (m ? m[1] : err.message));
    const offset = offsetOf(f.input.value, line, column);
    f.input.focus();
    f.input.setSelectionRange(offset, offset);
  }

  return {
    el: form,
    setText: function (text) {
      f.input.value = text;
      f.input.disabled = false;
      save.disabled = false;
      f.setError("");
    },
    textarea: f.input,
  };
}

/** The character offset of a 1-based line and column, clamped to the text. */
function offsetOf(text, line, column) {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf("\n", offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  const end = text.indexOf("\n", offset);
  return Math.min(offset + column - 1, end === -1 ? text.length : end);
}
`;
