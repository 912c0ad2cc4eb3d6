import { z } from "zod";

export const PeeringPolicy = z.enum(["hub", "mesh"]);
export type PeeringPolicy = z.infer<typeof PeeringPolicy>;

/** A YAML values document as JSON: a map (never a list or a scalar at the top). */
export const ValuesMap = z.record(z.string(), z.unknown());

/** GET/PUT /api/v1/config as JSON: the stored text and what it parses to. */
export const ConfigResponse = z.object({
  yaml: z.string(),
  values: ValuesMap,
});
export type ConfigResponse = z.infer<typeof ConfigResponse>;

/** GET /api/v1/config/agent-values: the agentValues section alone. */
export const AgentValuesResponse = z.object({
  yaml: z.string(),
  values: ValuesMap,
});
export type AgentValuesResponse = z.infer<typeof AgentValuesResponse>;

/** `?source=` of the values endpoints (GET /clusters/NAME): one layer of the effective values. */
export const ValuesSource = z.enum(["platform-config", "cluster-annotation"]);
export type ValuesSource = z.infer<typeof ValuesSource>;

/** One value that breaks the agent values schema: a dotted path (array indices as `.0`) and why. */
export const ValuesIssue = z.object({
  path: z.string(),
  message: z.string(),
});
export type ValuesIssue = z.infer<typeof ValuesIssue>;

/** `error.details` of a 422 `invalid_values` answer. */
export const InvalidValuesDetails = z.object({
  issues: z.array(ValuesIssue),
});
export type InvalidValuesDetails = z.infer<typeof InvalidValuesDetails>;

/**
 * GET /clusters/:name (the values URL) with `Accept: application/json` or `?format=json`: the same
 * values as the YAML answer, plus the dotted paths of keys the agent's schema does not know.
 */
export const EffectiveValuesResponse = z.object({
  yaml: z.string(),
  values: ValuesMap,
  unusedKeys: z.array(z.string()),
});
export type EffectiveValuesResponse = z.infer<typeof EffectiveValuesResponse>;
