import { AGENT_VALUES_ANNOTATION } from "../../protocol/api.ts";
import { helmMerge, type ValuesMap } from "./helm-merge.ts";
import { parseYamlMap, type YamlProblem } from "./parse-yaml.ts";
import type { PlatformConfig } from "./platform-config.ts";

export interface AnnotationValues {
  values: ValuesMap;
  /** Set when the stored annotation does not parse; its values then count as empty. */
  problem: YamlProblem | null;
}

/**
 * The cluster's annotation as a values map. Writes validate it, but rows can
 * predate that or be edited by hand, and reads must never fail because of it.
 */
export function annotationValues(annotations: Record<string, string>): AnnotationValues {
  const text = annotations[AGENT_VALUES_ANNOTATION];
  if (text === undefined) return { values: {}, problem: null };
  const parsed = parseYamlMap(text);
  return parsed.ok ? { values: parsed.value, problem: null } : { values: {}, problem: parsed.problem };
}

/** The global layer: agentValues when set, otherwise the platform's own values. */
export function globalAgentValues(config: PlatformConfig): ValuesMap {
  return Object.keys(config.agentValues).length > 0 ? config.agentValues : config.platformValues;
}

export function effectiveValues(config: PlatformConfig, annotation: ValuesMap): ValuesMap {
  return helmMerge(globalAgentValues(config), annotation);
}
