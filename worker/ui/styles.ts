/** The page's stylesheet: system fonts, no images, one media query for narrow screens. */
export const APP_CSS = `
:root {
  --bg: #f5f6f8;
  --surface: #ffffff;
  --text: #1c2330;
  --muted: #5d6779;
  --border: #d9dde5;
  --accent: #3346c9;
  --accent-dark: #24339a;
  --accent-soft: #e8ebfb;
  --ok: #137a3b;
  --ok-soft: #e3f5e9;
  --danger: #b4232c;
  --danger-soft: #fbe9ea;
  --warn-soft: #fff6db;
  --radius: 8px;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 15px;
  line-height: 1.5;
  color: var(--text);
  background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; }
a { color: var(--accent); }
a:hover { color: var(--accent-dark); }
code, pre, textarea.code { font-family: var(--mono); font-size: 13px; }
h1 { font-size: 1.6rem; margin: 0; line-height: 1.25; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 0 0 0.5rem; }
h4 { font-size: 0.9rem; margin: 0 0 0.25rem; color: var(--muted); font-weight: 600; }
:focus-visible { outline: 3px solid #7d8cf0; outline-offset: 2px; }
h1:focus, h3:focus, main:focus { outline: none; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip-link { position: absolute; left: 0.5rem; top: -3rem; background: var(--surface); padding: 0.5rem 1rem; border-radius: var(--radius); z-index: 100; }
.skip-link:focus { top: 0.5rem; }
.muted, .hint { color: var(--muted); }
.hint { font-size: 0.85rem; margin: 0.25rem 0 0; }
.loading, .noscript { padding: 2rem; }

.topbar { display: flex; align-items: center; gap: 1.5rem; padding: 0.6rem 1.5rem; background: #161c2d; color: #fff; }
.brand { display: flex; align-items: center; gap: 0.5rem; color: #fff; text-decoration: none; font-weight: 700; font-size: 1.1rem; }
.brand:hover { color: #fff; }
.brand-mark { margin-right: 6px; width: 20px; height: 20px; border-radius: 50%; border: 4px solid #7d8cf0; box-shadow: 9px 0 0 -4px #7d8cf0; }
.topbar nav { display: flex; gap: 0.25rem; flex: 1; }
.topbar nav a { color: #c9cfe0; text-decoration: none; padding: 0.35rem 0.75rem; border-radius: 6px; }
.topbar nav a:hover { color: #fff; background: #262e45; }
.topbar nav a[aria-current="page"] { color: #fff; background: #2d3760; }
.topbar .secondary { background: transparent; color: #e3e7f3; border-color: #4a5575; }
.topbar .secondary:hover { background: #262e45; }

.page { max-width: 1200px; margin: 0 auto; padding: 1.5rem; }
.page-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 1rem; margin-bottom: 1rem; }
.page-head p { margin: 0.25rem 0 0; display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.breadcrumb { font-size: 0.9rem; margin-bottom: 0.5rem; color: var(--muted); }

button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid transparent; padding: 0.45rem 1rem; font-weight: 600; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
button.small { padding: 0.25rem 0.65rem; font-size: 0.85rem; }
.primary { background: var(--accent); color: #fff; }
.primary:hover:not(:disabled) { background: var(--accent-dark); }
.secondary { background: var(--surface); color: var(--text); border-color: var(--border); }
.secondary:hover:not(:disabled) { background: var(--accent-soft); }
.danger { background: var(--danger); color: #fff; }
.danger:hover:not(:disabled) { background: #8f1a21; }
.icon-button { background: transparent; font-size: 1.5rem; line-height: 1; padding: 0.1rem 0.55rem; color: var(--muted); }
.icon-button:hover { background: var(--bg); color: var(--text); }
.actions { display: flex; gap: 0.75rem; align-items: center; margin-top: 1rem; flex-wrap: wrap; }

.field { margin-bottom: 1rem; }
.field label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
.section-field { margin-top: 1.5rem; }
.section-field > label { font-size: 1.1rem; margin-bottom: 0.25rem; }
.section-field .hint { margin: 0.25rem 0 0.5rem; }
.optional { font-weight: 400; color: var(--muted); }
input[type="text"], input[type="password"], textarea {
  width: 100%; font: inherit; padding: 0.5rem 0.65rem; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text);
}
textarea.code { font-family: var(--mono); white-space: pre; overflow: auto; resize: vertical; tab-size: 2; }
input[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--danger); background: #fffafa; }
.field-error, .form-error { color: var(--danger); margin: 0.3rem 0 0; font-size: 0.9rem; white-space: pre-wrap; }
.field-error:empty, .form-error:empty { display: none; }
.saved { color: var(--ok); font-weight: 600; }
.warning { background: var(--warn-soft); border: 1px solid #f0dc9a; padding: 0.5rem 0.75rem; border-radius: 6px; font-size: 0.9rem; }

.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1.5rem; }
.sign-in-page { min-height: 100vh; display: flex; align-items: center; justify-content: center; padding: 1rem; }
.sign-in { width: 100%; max-width: 420px; box-shadow: 0 8px 30px rgba(20, 30, 60, 0.08); }
.sign-in h1 { margin-bottom: 1.25rem; }
.sign-in .actions button { width: 100%; }

.table-wrap { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 0.6rem 0.85rem; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); background: #fafbfc; white-space: nowrap; }
tbody tr:last-child td { border-bottom: none; }
tbody tr:hover { background: #fafbff; }
td .sub { display: block; font-size: 0.8rem; color: var(--muted); }
.empty { background: var(--surface); border: 1px dashed var(--border); border-radius: var(--radius); padding: 2rem; text-align: center; color: var(--muted); }
.badge { display: inline-block; padding: 0.05rem 0.55rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.badge { border: 1px solid transparent; }
.badge-icon { margin-right: 0.3rem; }
.badge.state-connected { background: var(--ok-soft); color: var(--ok); border-color: #b5dfc4; }
.badge.state-degraded { background: var(--warn-soft); color: #7a5200; border-color: #e8cf7f; }
.badge.state-offline { background: #eceef2; color: #4a5263; border-color: #c9ced8; border-style: dashed; }
.badge.state-failed { background: var(--danger-soft); color: var(--danger); border-color: #efc2c5; }
.badge.state-revoked { background: #f3e8ef; color: #7a1f4e; border-color: #dcb6cb; }
.badge.state-waiting { background: var(--accent-soft); color: var(--accent-dark); border-color: #c5cdf5; }
.badge.key-active { background: var(--ok-soft); color: var(--ok); }
.badge.key-revoked, .badge.key-expired { background: #eceef2; color: #4a5263; }
td .sub.reason { color: var(--danger); font-weight: 600; }
tr.inactive td { color: var(--muted); }
.stale-paths { color: var(--muted); font-style: italic; }
.stale-note { color: var(--muted); font-style: italic; margin: 0 0 0.5rem; }
/* Data that is not current: greyed, never looking live. */
.stale { opacity: 0.55; filter: grayscale(1); }
.stale-banner { background: var(--warn-soft); border: 1px solid #f0dc9a; border-left: 4px solid #c99a00; padding: 0.5rem 0.75rem; border-radius: 6px; margin: 0 0 1rem; }
.loading-state { color: var(--muted); padding: 1.5rem; background: var(--surface); border: 1px dashed var(--border); border-radius: var(--radius); text-align: center; }
.toolbar { display: flex; gap: 1rem; align-items: flex-end; flex-wrap: wrap; margin-bottom: 0.75rem; }
.toolbar .field { margin: 0; }
.toolbar input[type="search"] { width: 22rem; max-width: 100%; }
input[type="search"], select { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid var(--border); border-radius: 6px; background: var(--surface); color: var(--text); }
th button.sort { background: transparent; border: none; padding: 0; font: inherit; font-weight: 600; color: inherit; text-transform: inherit; letter-spacing: inherit; }
th button.sort:hover { color: var(--accent); }
th[aria-sort="ascending"], th[aria-sort="descending"] { color: var(--accent-dark); }
table.keys code { white-space: nowrap; }
.narrow-only { display: none; }
.menu-wrap { position: relative; display: inline-block; }
.menu { position: fixed; z-index: 40; list-style: none; margin: 0; padding: 0.25rem; min-width: 11rem; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: 0 8px 24px rgba(20, 30, 60, 0.15); }
.menu-item { display: block; width: 100%; text-align: left; background: transparent; border: none; border-radius: 4px; padding: 0.4rem 0.75rem; font-weight: 500; }
.menu-item:hover, .menu-item:focus { background: var(--accent-soft); }
.danger-text { color: var(--danger); }
.failure { border: 1px solid #efc2c5; border-left: 4px solid var(--danger); background: var(--danger-soft); border-radius: var(--radius); padding: 0.75rem 1rem; margin: 1rem 0; }
.failure h2 { margin: 0 0 0.25rem; color: var(--danger); }
.failure p { margin: 0.25rem 0 0; }
.fix { font-weight: 600; }
.checkbox-field { display: grid; grid-template-columns: auto 1fr; gap: 0 0.5rem; align-items: center; }
.checkbox-field label { margin: 0; }
.checkbox-field .hint { grid-column: 2; margin: 0; }
.issues { margin: 0.25rem 0 0; padding-left: 1.25rem; color: var(--danger); }
.issue-path { font-weight: 700; }
.unsaved { color: #7a5200; font-weight: 600; }
.unsaved::before { content: "● "; }
.timeline { list-style: none; margin: 0; padding: 0; border-left: 2px solid var(--border); }
.event { position: relative; margin: 0 0 0.75rem 0; padding: 0.5rem 0.75rem 0.5rem 1rem; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); margin-left: 1rem; }
.event::before { content: ""; position: absolute; left: -1.45rem; top: 0.9rem; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); border: 2px solid var(--surface); }
.event.failed { border-color: #efc2c5; background: var(--danger-soft); }
.event.failed::before { background: var(--danger); }
.event-head { display: flex; gap: 0.75rem; align-items: baseline; flex-wrap: wrap; }
.event-type { font-size: 0.8rem; }
.event-reason { font-weight: 700; }
.event.warning::before { background: #c99a00; }
.event.failed .event-reason { color: var(--danger); }
.event-when { color: var(--muted); font-size: 0.85rem; margin-left: auto; }
.event-message { margin: 0.25rem 0 0; }
.event-detail { display: block; margin-top: 0.25rem; color: var(--muted); font-size: 0.8rem; overflow-wrap: anywhere; }
.card.create-key { margin-top: 2rem; max-width: 640px; }
.card.create-key h2 { margin-top: 0; }
.created-key { margin-top: 1rem; }
.values-report { margin-top: 0.5rem; }
.values-report ul { margin: 0.25rem 0 0; padding-left: 1.25rem; }
.tag { margin-left: 0.4rem; font-size: 0.75rem; padding: 0 0.4rem; border: 1px solid var(--border); border-radius: 4px; color: var(--muted); }
.path.direct { color: var(--ok); font-weight: 600; }
.path.relay { color: #9a6700; font-weight: 600; }
.chip { display: inline-block; margin: 0 0.35rem 0.2rem 0; padding: 0 0.35rem; background: var(--bg); border-radius: 4px; }

.tabs { display: flex; gap: 0.25rem; border-bottom: 1px solid var(--border); margin-bottom: 0.5rem; overflow-x: auto; }
.tabs [role="tab"] { background: transparent; border: none; border-bottom: 3px solid transparent; border-radius: 0; padding: 0.6rem 1rem; color: var(--muted); }
.tabs [role="tab"][aria-selected="true"] { color: var(--accent); border-bottom-color: var(--accent); }
.tabs [role="tab"]:hover { color: var(--text); }
.tab-panel { max-width: 880px; }
.tab-panel:focus-visible { outline-offset: 6px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.4rem 1.5rem; margin: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem 1.25rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }

pre { margin: 0; }
pre.values { background: #10131c; color: #e6e9f2; padding: 0.85rem 1rem; border-radius: var(--radius); overflow: auto; max-height: 24rem; }
.copyable { display: flex; gap: 0.5rem; align-items: flex-start; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; padding: 0.5rem; margin: 0.5rem 0; }
.copyable pre { flex: 1; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.25rem; max-height: 16rem; overflow: auto; }
.copyable .word { display: inline-block; max-width: 100%; }
.copy-actions { display: flex; flex-direction: column; align-items: flex-end; gap: 0.25rem; }
.copy-done { font-size: 0.75rem; color: var(--ok); white-space: nowrap; }
.url-row { margin-bottom: 0.75rem; }
.urls { margin-top: 0.75rem; }
.danger-zone { margin-top: 2rem; border: 1px solid #efc2c5; background: var(--danger-soft); border-radius: var(--radius); padding: 0 1.25rem 1.25rem; }
.danger-zone h2 { color: var(--danger); }

.drawer-layer { position: fixed; inset: 0; z-index: 50; }
.drawer-backdrop { position: absolute; inset: 0; background: rgba(16, 20, 32, 0.45); }
.drawer { position: absolute; top: 0; right: 0; bottom: 0; width: min(560px, 100%); background: var(--surface); display: flex; flex-direction: column; box-shadow: -8px 0 30px rgba(0, 0, 0, 0.18); animation: slide-in 0.18s ease-out; }
@keyframes slide-in { from { transform: translateX(40px); opacity: 0; } to { transform: none; opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .drawer { animation: none; } }
.drawer-head { display: flex; justify-content: space-between; align-items: center; padding: 1rem 1.25rem; border-bottom: 1px solid var(--border); }
.drawer-head h2 { margin: 0; font-size: 1.2rem; }
.drawer-body { flex: 1; overflow: auto; padding: 1.25rem; }
.drawer-footer { display: flex; justify-content: flex-end; gap: 0.75rem; padding: 0.9rem 1.25rem; border-top: 1px solid var(--border); background: #fafbfc; }
.connection p { margin: 0.5rem 0; }
.connection details { margin: 0.75rem 0; }
.connection summary { cursor: pointer; color: var(--accent); font-weight: 600; }
.connection-status { display: flex; align-items: center; gap: 0.6rem; padding: 0.75rem 1rem; border-radius: var(--radius); font-weight: 600; margin-top: 1rem !important; }
.connection-status.waiting { background: var(--accent-soft); color: var(--accent-dark); }
.connection-status.connected { background: var(--ok-soft); color: var(--ok); }
.connection-status.failed { background: var(--danger-soft); color: var(--danger); border: 1px solid #efc2c5; }
.connection-words { display: flex; flex-direction: column; }
.connection-detail { font-weight: 400; color: var(--text); }
.connection-detail:empty { display: none; }
.check { font-size: 1.1rem; }
.spinner { width: 16px; height: 16px; border: 3px solid #b9c1f3; border-top-color: var(--accent); border-radius: 50%; animation: spin 0.9s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
.next-step { border-left: 3px solid var(--accent); padding: 0.25rem 0 0.25rem 0.9rem; margin-top: 1rem; }

dialog.confirm { border: none; border-radius: var(--radius); padding: 1.5rem; width: min(460px, calc(100% - 2rem)); box-shadow: 0 20px 50px rgba(0, 0, 0, 0.25); }
dialog.confirm::backdrop { background: rgba(16, 20, 32, 0.45); }
dialog.confirm h2 { margin-top: 0; }
dialog.confirm .actions { justify-content: flex-end; }
.toast { position: fixed; bottom: 1.25rem; left: 50%; transform: translateX(-50%); background: #161c2d; color: #fff; padding: 0.6rem 1.1rem; border-radius: var(--radius); box-shadow: 0 8px 24px rgba(0, 0, 0, 0.2); z-index: 60; }

@media (max-width: 720px) {
  .topbar { flex-wrap: wrap; gap: 0.5rem 1rem; padding: 0.6rem 1rem; }
  .topbar nav { order: 3; flex-basis: 100%; }
  .topbar .brand { flex: 1; }
  .page { padding: 1rem; }
  .page-head { flex-direction: column; }
  .page-head > button { width: 100%; }
  table.clusters thead, table.peers thead, table.keys thead { display: none; }
  table.clusters tr, table.peers tr, table.keys tr { display: block; padding: 0.5rem 0; border-bottom: 1px solid var(--border); }
  table.clusters td, table.peers td, table.keys td { display: grid; grid-template-columns: 8.5rem 1fr; gap: 0.5rem; border: none; padding: 0.25rem 0.85rem; }
  .toolbar { flex-direction: column; align-items: stretch; }
  .toolbar .narrow-only { display: block; }
  .toolbar input[type="search"] { width: 100%; }
  table.clusters td::before, table.peers td::before, table.keys td::before { content: attr(data-label); color: var(--muted); font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.03em; }
  .facts { grid-template-columns: 1fr; gap: 0 0; }
  .facts dd { margin-bottom: 0.5rem; }
  .copyable { flex-direction: column; align-items: stretch; }
  .copy-actions { flex-direction: row; align-items: center; }
  .drawer-footer button { flex: 1; }
}
`;
