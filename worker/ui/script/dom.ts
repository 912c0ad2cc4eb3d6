// Browser JavaScript, served as text (see ../app-script.ts). No template literals inside, so the
// TypeScript string needs no escaping. Every value reaches the page through text nodes or
// attributes, never innerHTML.
export const DOM_JS = String.raw`
function h(tag, props) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
  return el;
}

function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
  else el.append(child instanceof Node ? child : String(child));
}

/** replaceChildren that, like h(), skips null and false instead of printing them. */
function setChildren(el) {
  el.replaceChildren();
  for (let i = 1; i < arguments.length; i++) append(el, arguments[i]);
}

let uniqueIdCounter = 0;
function uniqueId(prefix) {
  uniqueIdCounter += 1;
  return prefix + "-" + uniqueIdCounter;
}

function focusableIn(root) {
  return Array.from(
    root.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"),
  ).filter(function (el) { return !el.closest("[hidden]") && el.getClientRects().length > 0; });
}

/** Repeats fn every ms milliseconds (after each run finishes) until the returned stop is called. */
function poll(fn, ms) {
  let stopped = false;
  let timer = null;
  async function tick() {
    if (stopped) return;
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof ApiError)) console.error("refresh failed:", err && err.message);
    }
    if (!stopped) timer = setTimeout(tick, ms);
  }
  tick();
  return function stop() {
    stopped = true;
    clearTimeout(timer);
  };
}

/** A read-only block of text with a Copy button; the text stays selectable for browsers without clipboard access. */
function copyable(label, text, options) {
  const id = uniqueId("copy");
  const code = h("code", { id: id, class: (options && options.codeClass) || "" });
  // A shell command wraps between its words, never at the hyphens of "--cluster"; the text (and
  // so what Copy copies) stays exactly the same.
  if (options && options.words) {
    text.split(" ").forEach(function (word, i) {
      if (i > 0) code.append(" ");
      code.append(h("span", { class: "word" }, word));
    });
  } else {
    code.textContent = text;
  }
  const done = h("span", { class: "copy-done", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary small", "aria-describedby": id, onclick: async function () {
    try {
      await navigator.clipboard.writeText(code.textContent);
      done.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      done.textContent = "Selected: press Ctrl+C to copy";
    }
    setTimeout(function () { done.textContent = ""; }, 2500);
  } }, "Copy");
  button.setAttribute("aria-label", "Copy " + label);
  return h("div", { class: "copyable" }, h("pre", { tabindex: "0", "aria-label": label }, code), h("div", { class: "copy-actions" }, button, done));
}

function field(options) {
  const id = options.id;
  const hintId = id + "-hint";
  const errorId = id + "-error";
  const input = options.input;
  input.id = id;
  input.setAttribute("aria-describedby", (options.hint ? hintId + " " : "") + errorId);
  const label = h("label", { for: id }, options.label, options.optional ? h("span", { class: "optional" }, " (optional)") : null);
  const error = h("p", { id: errorId, class: "field-error" });
  function setError(message) {
    error.textContent = message || "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  const hint = options.hint ? h("p", { id: hintId, class: "hint" }, options.hint) : null;
  const el = options.hintFirst
    ? h("div", { class: "field" }, label, hint, input, error)
    : h("div", { class: "field" }, label, input, hint, error);
  return { el: el, input: input, setError: setError };
}

function toast(message) {
  const region = document.getElementById("toast");
  region.textContent = message;
  region.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(function () { region.hidden = true; region.textContent = ""; }, 5000);
}
`;
