import { type Context, Hono } from "hono";
import type { AgentValuesResponse, ConfigResponse, PeeringPolicy } from "../../protocol/api.ts";
import { controlStubs, pushResyncAll, pushValuesChanged } from "../agents/push.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { bodyText, jsonBody, yamlOrJsonFormat } from "../http/request-body.ts";
import { requireAccessKey } from "../middleware/auth/access-key.ts";
import { closeRelaysForbiddenBy } from "../relay/close-relays.ts";
import { assertValidAgentValues } from "../values/agent-values-check.ts";
import { globalAgentValues } from "../values/effective-values.ts";
import { isValuesMap, type ValuesMap } from "../values/helm-merge.ts";
import { parseYamlMapOr422, toYaml } from "../values/parse-yaml.ts";
import {
  interpretConfig,
  loadConfig,
  type PlatformConfig,
  replaceAgentValues,
  saveConfigYaml,
  validateConfigValues,
} from "../values/platform-config.ts";
import { jsonBoundsProblem } from "../values/values-bounds.ts";

function wantsYaml(c: Context<AppEnv>): boolean {
  if (c.req.query("format") === "yaml") return true;
  const accept = c.req.header("accept") ?? "";
  return /\b(application|text)\/(x-)?yaml\b/i.test(accept);
}

function respond(c: Context<AppEnv>, config: PlatformConfig): Response {
  if (wantsYaml(c)) return c.body(config.yaml, 200, { "content-type": "application/yaml; charset=utf-8" });
  const body: ConfigResponse = { yaml: config.yaml, values: config.values };
  return c.json(body);
}

/**
 * The body as a values map plus the text to store. YAML is stored as sent, so
 * comments and key order survive; JSON is converted to YAML.
 */
function readValuesBody(c: Context<AppEnv>, what: string): { yaml: string | null; values: ValuesMap } {
  if (yamlOrJsonFormat(c) === "yaml") {
    const text = bodyText(c);
    return { yaml: text, values: parseYamlMapOr422(text, what) };
  }
  const value = jsonBody(c);
  if (!isValuesMap(value)) {
    throw new HttpError(422, "invalid_config", `${what} must be a JSON object.`);
  }
  const tooBig = jsonBoundsProblem(value);
  if (tooBig !== null) throw new HttpError(422, "invalid_config", `${what} is refused: ${tooBig}.`);
  return { yaml: null, values: value };
}

/**
 * After the write, so a socket opened in between is refused by the relay route's policy check.
 * Every agent hears of the change on its control channel: the whole netmap when the policy
 * moved, and a "values changed" either way (the config's values are every agent's defaults).
 */
async function closeRelaysIfPolicyChanged(
  c: Context<AppEnv>,
  before: PeeringPolicy,
  after: PeeringPolicy,
): Promise<void> {
  const stubs = controlStubs(c.env.CONTROL);
  if (before !== after) {
    await Promise.all([closeRelaysForbiddenBy(c.env, c.var.db, after), pushResyncAll(stubs, c.var.db)]);
  }
  await pushValuesChanged(stubs, c.var.db, null);
}

export const configRoutes = new Hono<AppEnv>()
  .use("*", requireAccessKey())
  .get("/", async (c) => respond(c, await loadConfig(c.var.db)))
  .put("/", async (c) => {
    const { yaml, values } = readValuesBody(c, "The platform config");
    validateConfigValues(values);
    const text = yaml ?? toYaml(values);
    // What agents inherit from this document: agentValues, or the whole document while it is empty.
    const candidate = interpretConfig(text);
    assertValidAgentValues(
      globalAgentValues(candidate),
      Object.keys(candidate.agentValues).length > 0 ? "agentValues" : "",
    );
    const before = await loadConfig(c.var.db);
    await saveConfigYaml(c.var.db, text, c.var.now);
    const after = interpretConfig(text);
    await closeRelaysIfPolicyChanged(c, before.peering, after.peering);
    return respond(c, after);
  })
  // The section alone, as the text to edit (the web UI's agentValues editor): what the values
  // endpoints serve for ?source=platform-config, without needing a cluster to ask about.
  .get("/agent-values", async (c) => {
    const { agentValues } = await loadConfig(c.var.db);
    const yaml = toYaml(agentValues);
    if (wantsYaml(c)) return c.body(yaml, 200, { "content-type": "application/yaml; charset=utf-8" });
    const body: AgentValuesResponse = { yaml, values: agentValues };
    return c.json(body);
  })
  .put("/agent-values", async (c) => {
    const { values } = readValuesBody(c, "agentValues");
    assertValidAgentValues(values);
    const current = await loadConfig(c.var.db);
    const text = replaceAgentValues(current.yaml, values);
    await saveConfigYaml(c.var.db, text, c.var.now);
    const after = interpretConfig(text);
    await closeRelaysIfPolicyChanged(c, current.peering, after.peering);
    return respond(c, after);
  });
