import { AGENT_VALUES_ANNOTATION } from "../../protocol/api.ts";
import { assertValidAgentValues } from "../values/agent-values-check.ts";
import { parseYamlMapOr422 } from "../values/parse-yaml.ts";

/**
 * Rejects an agent-values annotation that is not a YAML map (422, with line and column) or whose
 * values break the agent values schema (422 invalid_values, with the paths inside the annotation).
 */
export function assertValidAnnotations(annotations: Record<string, string>): void {
  const text = annotations[AGENT_VALUES_ANNOTATION];
  if (text === undefined) return;
  assertValidAgentValues(parseYamlMapOr422(text, `The "${AGENT_VALUES_ANNOTATION}" annotation`));
}

export function applyAnnotationPatch(
  current: Record<string, string>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const next = new Map(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return Object.fromEntries(next);
}
