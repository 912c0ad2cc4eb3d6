import { describeIssues, validateAgentValues } from "../../protocol/agent-values/validate.ts";
import type { InvalidValuesDetails } from "../../protocol/api.ts";
import { HttpError } from "../http/errors.ts";
import type { ValuesMap } from "./helm-merge.ts";

/**
 * Refuses (422 invalid_values) agent values that break the agent values schema, before they are
 * stored: the agent would ignore them, and the admin would only see it in the agent's log.
 * `prefix` names where the values sit in the body that was sent (e.g. "agentValues").
 */
export function assertValidAgentValues(values: ValuesMap, prefix = ""): void {
  const issues = validateAgentValues(values).map((issue) => ({
    path: prefix === "" ? issue.path : `${prefix}.${issue.path}`,
    message: issue.message,
  }));
  if (issues.length === 0) return;
  const details: InvalidValuesDetails = { issues };
  throw new HttpError(422, "invalid_values", describeIssues(issues), details);
}
