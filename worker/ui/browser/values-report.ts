// The agent's own report of the values it applied and rejected (status.values), read defensively:
// a platform without the report answers without the field.
import type { Cluster } from "../../../protocol/api.ts";

export interface AgentValuesReport {
  applied: string[];
  rejected: { path: string; message: string }[];
  reportedAt: string;
}

function isReport(value: unknown): value is AgentValuesReport {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.applied) && Array.isArray(v.rejected) && typeof v.reportedAt === "string";
}

export function agentValuesReport(c: Cluster): AgentValuesReport | null {
  const values: unknown = (c.status as Record<string, unknown>).values;
  return isReport(values) ? values : null;
}
