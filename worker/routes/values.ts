import { type Context, Hono } from "hono";
import { unusedValueKeys } from "../../protocol/agent-values/validate.ts";
import { type EffectiveValuesResponse, ValuesSource } from "../../protocol/api.ts";
import { clusterRecordQuery } from "../clusters/records.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import {
  type AccessKeyOptions,
  accessKeyRowQuery,
  admitAccessKey,
  assertKeyMayReadCluster,
  presentedKey,
} from "../middleware/auth/access-key.ts";
import { isDns1123Label } from "../names.ts";
import { effectiveValues } from "../values/effective-values.ts";
import type { ValuesMap } from "../values/helm-merge.ts";
import { toYaml } from "../values/parse-yaml.ts";
import { configRowQuery, type PlatformConfig } from "../values/platform-config.ts";
import { type CachedCluster, type ValuesInputs, valuesCache } from "../values/values-cache.ts";

const SOURCES = ValuesSource.options;

function parseSource(raw: string | undefined): ValuesSource | null {
  if (raw === undefined || raw === "") return null;
  const source = ValuesSource.safeParse(raw);
  if (!source.success) {
    throw new HttpError(
      400,
      "invalid_source",
      `Unknown source "${raw}"; use one of: ${SOURCES.join(", ")}.`,
      {
        allowed: SOURCES,
      },
    );
  }
  return source.data;
}

const AUTH = {
  scopes: ["values:read", "cluster-values:read"],
  allowQueryToken: true,
} satisfies AccessKeyOptions;

/**
 * Helm-ready YAML for one cluster: effective values, or one of the layers that
 * make them up. Helm and agents poll this, so the key, the cluster and the config
 * come from the isolate's short-lived cache (values-cache.ts) or else from one D1
 * round trip; nothing read is used before the key is admitted.
 */
async function serveValues(c: Context<AppEnv>, name: string): Promise<Response> {
  const presented = await presentedKey(c, AUTH);
  const keyHash = presented.bootstrap === null ? presented.hash : null;
  const clusterName = isDns1123Label(name) ? name : "";
  const inputs = valuesCache.lookup(keyHash, clusterName) ?? (await readInputs(c, keyHash, clusterName));
  // The binding is checked on every request, cached key row or not: the row carries its cluster.
  assertKeyMayReadCluster(await admitAccessKey(c, presented, inputs.keyRow, AUTH), name);
  const source = parseSource(c.req.query("source"));
  const cluster = inputs.cluster;
  if (cluster === undefined) throw new HttpError(404, "not_found", `No cluster named "${name}".`);
  const headers: Record<string, string> = { "content-type": "application/yaml; charset=utf-8" };
  const problem = cluster.annotation.problem;
  if (problem !== null) {
    // The read still succeeds with the annotation ignored; the header tells an operator why.
    headers["x-tether-warning"] =
      `ignored invalid agent-values annotation (line ${problem.line}, column ${problem.column})`;
  }
  if (wantsJson(c)) {
    const values = layerValues(cluster, inputs.config, source);
    const body: EffectiveValuesResponse = {
      yaml: render(cluster, inputs.config, source),
      values,
      unusedKeys: unusedValueKeys(values),
    };
    return c.json(body, 200, { ...headers, "content-type": "application/json; charset=utf-8" });
  }
  return c.body(render(cluster, inputs.config, source), 200, headers);
}

/** Helm and agents read YAML; the web UI asks for JSON to learn which keys the agent does not use. */
function wantsJson(c: Context<AppEnv>): boolean {
  if (c.req.query("format") === "json") return true;
  return /\bapplication\/json\b/i.test(c.req.header("accept") ?? "");
}

function layerValues(cluster: CachedCluster, config: PlatformConfig, source: ValuesSource | null): ValuesMap {
  if (source === "cluster-annotation") return cluster.annotation.values;
  if (source === "platform-config") return config.agentValues;
  return effectiveValues(config, cluster.annotation.values);
}

/** One D1 batch for everything a values request needs (an empty hash or name matches no row). */
async function readInputs(
  c: Context<AppEnv>,
  keyHash: string | null,
  clusterName: string,
): Promise<ValuesInputs> {
  const { db } = c.var;
  const generation = valuesCache.begin();
  const [keyRows, recordRows, configRows] = await db.batch([
    accessKeyRowQuery(db, keyHash ?? ""),
    clusterRecordQuery(db, clusterName),
    configRowQuery(db),
  ]);
  return valuesCache.store(generation, keyHash, clusterName, {
    keyRow: keyRows[0],
    annotationsText: recordRows[0]?.cluster.annotations,
    configRows,
  });
}

/** The response body; the same cluster and config objects always give the same text, so it is kept. */
function render(cluster: CachedCluster, config: PlatformConfig, source: ValuesSource | null): string {
  const slot = source ?? "effective";
  const kept = cluster.rendered.get(slot);
  if (kept !== undefined && kept.config === config) return kept.body;
  const body = toYaml(layerValues(cluster, config, source));
  cluster.rendered.set(slot, { config, body });
  return body;
}

export const valuesRoutes = new Hono<AppEnv>()
  // The older URL form; registered first so "agent-values" is not taken for a cluster name.
  .get("/agent-values/:name", (c) => serveValues(c, c.req.param("name")))
  .get("/:name", (c) => serveValues(c, c.req.param("name")));
