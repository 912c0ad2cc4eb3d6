// Checks agent values against AGENT_VALUES_SCHEMA with @cfworker/json-schema, which interprets the
// schema (no code generation, so it runs in workerd, where `new Function` is forbidden), and turns
// its errors into one short issue per wrong value: a dotted path and what the value must be.
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { AGENT_VALUES_SCHEMA } from "./schema.ts";

export interface ValuesIssue {
  /** Dotted, array indices as `.0`: `relay.mode`, `expose.0.port`. */
  path: string;
  message: string;
}

type SchemaNode = Record<string, unknown>;

const ROOT = AGENT_VALUES_SCHEMA as unknown as SchemaNode;
const validator = new Validator(ROOT as never, "7", false);

function decodePointer(location: string): string[] {
  const body = location.replace(/^#\/?/, "");
  if (body === "") return [];
  return body.split("/").map((t) => decodeURIComponent(t).replaceAll("~1", "/").replaceAll("~0", "~"));
}

function dotted(tokens: string[]): string {
  return tokens.join(".");
}

function resolveRef(ref: string): SchemaNode | undefined {
  return walk(ROOT, decodePointer(ref));
}

/** The schema node at a keyword location; `$ref` tokens jump to their target as the validator did. */
function walk(start: SchemaNode, tokens: string[]): SchemaNode | undefined {
  let node: unknown = start;
  for (const token of tokens) {
    if (typeof node !== "object" || node === null) return undefined;
    const here = node as SchemaNode;
    node = token === "$ref" && typeof here.$ref === "string" ? resolveRef(here.$ref) : here[token];
  }
  return typeof node === "object" && node !== null ? (node as SchemaNode) : undefined;
}

function typeName(type: unknown): string {
  switch (type) {
    case "integer":
      return "a whole number";
    case "array":
      return "a list";
    case "object":
      return "a map";
    default:
      return `a ${String(type)}`;
  }
}

/** The message for one failed keyword, phrased from the schema node that holds it. */
function messageFor(keyword: string, node: SchemaNode): string {
  switch (keyword) {
    case "enum":
      return `must be one of ${(node.enum as unknown[]).map(String).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(node.const)}`;
    case "type":
      return `must be ${typeName(node.type)}`;
    case "minimum":
      return `must be at least ${String(node.minimum)}`;
    case "maximum":
      return `must be at most ${String(node.maximum)}`;
    case "minLength":
      return node.minLength === 1
        ? "must not be empty"
        : `must be at least ${String(node.minLength)} characters`;
    case "maxLength":
      return `must be at most ${String(node.maxLength)} characters`;
    case "pattern":
      return typeof node.title === "string" ? `must be ${node.title}` : `must match ${String(node.pattern)}`;
    case "anyOf":
    case "oneOf":
      return typeof node.title === "string" ? `must be ${node.title}` : "matches none of the allowed forms";
    case "minItems":
      return `must have at least ${String(node.minItems)} items`;
    case "maxItems":
      return `must have at most ${String(node.maxItems)} items`;
    default:
      return `breaks the schema's "${keyword}" rule`;
  }
}

// Keywords whose errors only say that something below them failed; the failure below is reported.
const PROPAGATING = new Set(["properties", "items", "$ref", "additionalProperties", "allOf", "dependencies"]);

function issueOf(unit: OutputUnit): ValuesIssue | null {
  if (PROPAGATING.has(unit.keyword)) return null;
  const at = decodePointer(unit.instanceLocation);
  if (unit.keyword === "required") {
    const missing = /"([^"]*)"/.exec(unit.error)?.[1] ?? "";
    return { path: dotted([...at, missing]), message: "is required" };
  }
  // A `false` schema: a key an additionalProperties: false map does not allow.
  if (unit.keyword === "false") return { path: dotted(at), message: "is not allowed here" };
  const tokens = decodePointer(unit.keywordLocation);
  const node = walk(ROOT, tokens.slice(0, -1));
  return { path: dotted(at), message: node ? messageFor(unit.keyword, node) : unit.error };
}

/** A map without its null-valued keys, at every depth of maps (list items are kept as they are). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (isMap(item) ? withoutNulls(item) : item));
  if (!isMap(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) if (child !== null) out[key] = withoutNulls(child);
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every problem with `values` (a parsed values map), in document order, at most one per path.
 * An anyOf that fails is one issue (its title says what is allowed), not one per alternative.
 * A null is never wrong: in a values layer it deletes the key (Helm's rule), so it is skipped.
 */
export function validateAgentValues(values: Record<string, unknown>): ValuesIssue[] {
  const { errors } = validator.validate(withoutNulls(values));
  const alternatives = errors
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")
    .map((e) => `${e.keywordLocation}/`);
  const issues: ValuesIssue[] = [];
  const seen = new Set<string>();
  for (const unit of errors) {
    if (alternatives.some((prefix) => unit.keywordLocation.startsWith(prefix))) continue;
    const issue = issueOf(unit);
    if (issue === null || seen.has(issue.path)) continue;
    seen.add(issue.path);
    issues.push(issue);
  }
  return issues;
}

/** `path: message` lines, as an error message shows them. */
export function describeIssues(issues: ValuesIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

function schemaOf(node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  return typeof ref === "string" ? (resolveRef(ref) ?? {}) : node;
}

function collectUnused(value: unknown, node: SchemaNode, at: string[], out: string[]): void {
  const schema = schemaOf(node);
  if (Array.isArray(value)) {
    const items = schema.items;
    if (typeof items !== "object" || items === null || Array.isArray(items)) return;
    value.forEach((item, i) => {
      collectUnused(item, items as SchemaNode, [...at, String(i)], out);
    });
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const properties = schema.properties as Record<string, SchemaNode> | undefined;
  // A map the schema does not describe key by key is the agent's to read as a whole.
  if (properties === undefined) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (child === null) continue;
    const known = properties[key];
    if (known === undefined) out.push(dotted([...at, key]));
    else collectUnused(child, known, [...at, key], out);
  }
}

/** Dotted paths of the keys in `values` that the agent's schema does not know (the agent ignores them). */
export function unusedValueKeys(values: Record<string, unknown>): string[] {
  const out: string[] = [];
  collectUnused(values, ROOT, [], out);
  return out;
}
