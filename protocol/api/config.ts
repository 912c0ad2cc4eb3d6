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
