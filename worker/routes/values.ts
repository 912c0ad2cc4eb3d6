import { type Context, Hono } from "hono";
import type { ValuesSource } from "../../protocol/api.ts";
import { clusterRecordQuery } from "../clusters/records.ts";
import { clusterAnnotations } from "../clusters/to-json.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import {
  type AccessKeyOptions,
  accessKeyRowQuery,
  admitAccessKey,
  presentedKey,
} from "../middleware/auth/access-key.ts";
import { isDns1123Label } from "../names.ts";
import { annotationValues, effectiveValues } from "../values/effective-values.ts";
import type { ValuesMap } from "../values/helm-merge.ts";
import { toYaml } from "../values/parse-yaml.ts";
import { configFromRows, configRowQuery } from "../values/platform-config.ts";

const SOURCES: readonly ValuesSource[] = ["platform-config", "cluster-annotation"];

function parseSource(raw: string | undefined): ValuesSource | null {
  if (raw === undefined || raw === "") return null;
  const source = SOURCES.find((s) => s === raw);
  if (source === undefined) {
    throw new HttpError(
      400,
      "invalid_source",
      `Unknown source "${raw}"; use one of: ${SOURCES.join(", ")}.`,
      {
        allowed: SOURCES,
      },
    );
  }
  return source;
}

const AUTH = { scopes: ["values:read"], allowQueryToken: true } satisfies AccessKeyOptions;

/**
 * Helm-ready YAML for one cluster: effective values, or one of the layers that
 * make them up. Helm and agents poll this, so the key, the cluster and the config
 * are read in one D1 round trip; nothing read is used before the key is admitted.
 */
async function serveValues(c: Context<AppEnv>, name: string): Promise<Response> {
  const presented = await presentedKey(c, AUTH);
  const { db } = c.var;
  const [keyRows, recordRows, configRows] = await db.batch([
    accessKeyRowQuery(db, presented.bootstrap === null ? presented.hash : ""),
    clusterRecordQuery(db, isDns1123Label(name) ? name : ""),
    configRowQuery(db),
  ]);
  await admitAccessKey(c, presented, keyRows[0], AUTH);
  const source = parseSource(c.req.query("source"));
  const record = recordRows[0];
  if (record === undefined) throw new HttpError(404, "not_found", `No cluster named "${name}".`);
  const annotation = annotationValues(clusterAnnotations(record));
  const headers: Record<string, string> = { "content-type": "application/yaml; charset=utf-8" };
  if (annotation.problem !== null) {
    // The read still succeeds with the annotation ignored; the header tells an operator why.
    headers["x-tether-warning"] =
      `ignored invalid agent-values annotation (line ${annotation.problem.line}, column ${annotation.problem.column})`;
  }
  let values: ValuesMap;
  if (source === "cluster-annotation") {
    values = annotation.values;
  } else {
    const config = configFromRows(configRows);
    values = source === "platform-config" ? config.agentValues : effectiveValues(config, annotation.values);
  }
  return c.body(toYaml(values), 200, headers);
}

export const valuesRoutes = new Hono<AppEnv>()
  // The older URL form; registered first so "agent-values" is not taken for a cluster name.
  .get("/agent-values/:name", (c) => serveValues(c, c.req.param("name")))
  .get("/:name", (c) => serveValues(c, c.req.param("name")));
