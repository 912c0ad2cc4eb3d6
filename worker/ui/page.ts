/**
 * The one HTML document behind every /ui path; the script routes on location.pathname. It holds
 * no data: everything is fetched from the JSON API once the user has signed in.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Tether</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css">
<script src="/ui/assets/app.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<div id="shell"><main id="main"><p class="loading">Loading…</p></main></div>
<div id="toast" class="toast" role="status" aria-live="polite" hidden></div>
<noscript><p class="noscript">The Tether web UI needs JavaScript. The CLI (npx tether) and the JSON API under /api/v1 work without it.</p></noscript>
</body>
</html>
`;
