import { LineCounter, parseDocument, stringify } from "yaml";
import { HttpError } from "../http/errors.ts";
import { isValuesMap, type ValuesMap } from "./helm-merge.ts";
import { isParserStackOverflow, TOO_DEEP_MESSAGE, yamlBoundsProblem } from "./values-bounds.ts";

export interface YamlProblem {
  message: string;
  line: number;
  column: number;
}

export type ParsedMap = { ok: true; value: ValuesMap } | { ok: false; problem: YamlProblem };

/**
 * Parses YAML that must hold a map. An empty document counts as the empty map,
 * because an empty values file means "no overrides" to Helm as well.
 */
export function parseYamlMap(text: string): ParsedMap {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, logLevel: "error", prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0]);
    return {
      ok: false,
      problem: {
        message: isParserStackOverflow(first.message)
          ? TOO_DEEP_MESSAGE
          : (first.message.split("\n")[0] ?? first.message),
        line: pos.line,
        column: pos.col,
      },
    };
  }
  // Checked on the document, before toJS: expanding an alias bomb or a deep nest is the harm.
  const bounds = yamlBoundsProblem(doc);
  if (bounds !== null) {
    const pos = lineCounter.linePos(bounds.offset);
    return { ok: false, problem: { message: bounds.message, line: pos.line, column: pos.col } };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Alias bombs and similar are rejected while building the JS value, after parsing succeeded.
    return {
      ok: false,
      problem: { message: err instanceof Error ? err.message : String(err), line: 1, column: 1 },
    };
  }
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (!isValuesMap(value)) {
    const offset = doc.contents?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return {
      ok: false,
      problem: { message: "The document must be a map of keys to values.", line: pos.line, column: pos.col },
    };
  }
  return { ok: true, value };
}

/** Parses or throws the API's 422, naming what was being parsed and where it broke. */
export function parseYamlMapOr422(text: string, what: string): ValuesMap {
  const parsed = parseYamlMap(text);
  if (parsed.ok) return parsed.value;
  const { message, line, column } = parsed.problem;
  throw new HttpError(
    422,
    "invalid_yaml",
    `${what} is not a valid YAML map (line ${line}, column ${column}): ${message}`,
    { line, column },
  );
}

/** YAML text of a values map; the empty map is "{}\n" so the output is always a valid values file. */
export function toYaml(values: ValuesMap): string {
  return stringify(values, { aliasDuplicateObjects: false });
}
