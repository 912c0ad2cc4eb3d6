import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { CHART } from "./generated/chart.ts";

let tgz: Uint8Array<ArrayBuffer> | null = null;

/** Decoded once per isolate, on first use: most isolates never serve the chart. */
function chartBytes(): Uint8Array<ArrayBuffer> {
  if (tgz === null) tgz = Uint8Array.from(atob(CHART.tgzBase64), (ch) => ch.charCodeAt(0));
  return tgz;
}

// Public, like any Helm chart repository: the chart holds no secrets (the PSK and the values key
// are given at install time). The same version can be rebuilt with other templates before a
// release, so clients revalidate against the digest rather than cache it for good.
const HEADERS = { "cache-control": "public, max-age=60", etag: `"${CHART.digest}"` };

/** The agent's Helm chart, packaged at build time (scripts/build-chart.ts); mounted at /charts. */
export const chartRoutes = new Hono<AppEnv>()
  .get("/index.yaml", (c) => c.body(CHART.indexYaml, 200, { ...HEADERS, "content-type": "application/yaml" }))
  .get("/:file", (c) => {
    const file = c.req.param("file");
    if (file !== CHART.fileName) {
      throw new HttpError(404, "not_found", `No chart "${file}"; this platform serves ${CHART.fileName}.`);
    }
    if (c.req.header("if-none-match") === HEADERS.etag) return c.body(null, 304, HEADERS);
    return c.body(chartBytes(), 200, { ...HEADERS, "content-type": "application/gzip" });
  });

/** The chart's URL on a platform, as the connect commands print it. */
export function chartUrl(platformUrl: string): string {
  return `${platformUrl.replace(/\/+$/, "")}/charts/${CHART.fileName}`;
}
