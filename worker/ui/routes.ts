import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { APP_JS } from "./generated/app-script.ts";
import { PAGE_HTML } from "./page.ts";
import { APP_CSS } from "./styles.ts";

/**
 * Everything the page loads comes from this origin, and nothing runs that is not a file served here:
 * no inline script or style, no eval, no framing. The page reads secrets (the access key, PSKs in
 * connect commands), so it must not run anyone else's code next to them.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

function serve(c: Context<AppEnv>, body: string, type: string, cache: string): Response {
  return c.body(body, 200, { ...SECURITY_HEADERS, "content-type": type, "cache-control": cache });
}

// The page is the same for every path, so it is never stale against the script; assets are
// revalidated rather than cached for good, because their URLs carry no version.
const page = (c: Context<AppEnv>) => serve(c, PAGE_HTML, "text/html; charset=utf-8", "no-store");

/** The web UI under /ui; mounted with app.route("/ui", uiRoutes). The JSON API stays under /api/v1. */
export const uiRoutes = new Hono<AppEnv>()
  .get("/assets/app.js", (c) => serve(c, APP_JS, "text/javascript; charset=utf-8", "no-cache"))
  .get("/assets/app.css", (c) => serve(c, APP_CSS, "text/css; charset=utf-8", "no-cache"))
  .get("/assets/*", (c) => {
    throw new HttpError(404, "not_found", `No UI asset at ${new URL(c.req.url).pathname}.`);
  })
  .get("/", page)
  .get("/*", page);
