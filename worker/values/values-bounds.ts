import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from "yaml";

/**
 * Limits on what a values document may become once parsed. A request body is at
 * most 256 KiB, but YAML anchors and aliases let a small body expand into a huge
 * value (a 61 KB annotation became 14 MB of values and slowed every read of that
 * cluster to seconds), and very deep nesting overflows the stack of any recursive
 * walk later on. So both are measured on the parsed document, without recursion
 * and without expanding anything, before the value is built.
 */
export const MAX_VALUES_DEPTH = 64;
/** As much as a body could carry without anchors: aliases may save typing, not multiply data. */
export const MAX_VALUES_EXPANDED_BYTES = 256 * 1024;

export interface BoundsProblem {
  message: string;
  /** Offset in the source text of the node where the limit was crossed, when known. */
  offset: number;
}

interface Measure {
  /** Approximate bytes of the value written out as JSON, with every alias expanded. */
  bytes: number;
  /** Nesting depth with every alias expanded; a scalar is 0. */
  depth: number;
}

function children(node: unknown): unknown[] {
  if (isMap(node)) return node.items;
  if (isSeq(node)) return node.items;
  if (isPair(node)) return [node.key, node.value];
  return [];
}

function offsetOf(node: unknown): number {
  const range = (node as Node | null)?.range;
  return range ? range[0] : 0;
}

export const TOO_DEEP_MESSAGE = `values nest deeper than ${MAX_VALUES_DEPTH} levels`;

function tooDeep(offset: number): BoundsProblem {
  return { message: TOO_DEEP_MESSAGE, offset };
}

/**
 * The YAML parser reports its own stack overflow as a parse error; far past our
 * depth limit anyway, so it is said as that limit rather than as an engine message.
 */
export function isParserStackOverflow(message: string): boolean {
  return message.startsWith("Maximum call stack size exceeded");
}

function tooLarge(offset: number): BoundsProblem {
  return {
    message: `values expand to more than ${MAX_VALUES_EXPANDED_BYTES / 1024} KiB (anchors and aliases included)`,
    offset,
  };
}

/** The first limit a parsed YAML document crosses, or null. */
export function yamlBoundsProblem(doc: Document): BoundsProblem | null {
  const root = doc.contents;
  if (root === null) return null;
  const measured = new Map<unknown, Measure>();
  // Iterative post-order walk: a node is measured once all its children are, so an alias
  // (which YAML only allows after its anchor) finds its target already measured.
  const stack: { node: unknown; entered: boolean; level: number }[] = [
    { node: root, entered: false, level: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: unknown; entered: boolean; level: number };
    const { node } = top;
    if (!top.entered) {
      top.entered = true;
      // The syntactic depth alone already bounds the walk before anything is summed
      // (a map entry is two levels here: the pair, then its value).
      if (top.level > MAX_VALUES_DEPTH * 2 + 2) return tooDeep(offsetOf(node));
      // Pushed last-first so they are measured in document order: anchors before their aliases.
      const kids = children(node);
      for (let i = kids.length - 1; i >= 0; i--) {
        const child = kids[i];
        if (child !== null && child !== undefined && !measured.has(child)) {
          stack.push({ node: child, entered: false, level: top.level + 1 });
        }
      }
      continue;
    }
    stack.pop();
    if (measured.has(node)) continue;
    let m: Measure;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      const t = target ? measured.get(target) : undefined;
      // An alias to an anchor that is not complete yet is a cycle; toJS would refuse it too.
      if (t === undefined)
        return { message: `alias *${node.source} refers to itself or to nothing`, offset: offsetOf(node) };
      m = t;
    } else if (isScalar(node)) {
      m = { bytes: (JSON.stringify(node.value) ?? "null").length, depth: 0 };
    } else if (isPair(node)) {
      const k = measured.get(node.key) ?? { bytes: 4, depth: 0 };
      const v = measured.get(node.value) ?? { bytes: 4, depth: 0 };
      m = { bytes: k.bytes + v.bytes + 2, depth: v.depth };
    } else {
      let bytes = 2;
      let depth = 0;
      for (const child of children(node)) {
        const c = measured.get(child) ?? { bytes: 4, depth: 0 };
        bytes += c.bytes + 1;
        depth = Math.max(depth, c.depth);
      }
      m = { bytes, depth: depth + 1 };
    }
    if (m.depth > MAX_VALUES_DEPTH) return tooDeep(offsetOf(node));
    if (m.bytes > MAX_VALUES_EXPANDED_BYTES) return tooLarge(offsetOf(node));
    measured.set(node, m);
  }
  return null;
}

/** The first limit a parsed JSON value crosses, or null. JSON has no aliases, so only depth counts. */
export function jsonBoundsProblem(value: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop() as { value: unknown; depth: number };
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > MAX_VALUES_DEPTH) return TOO_DEEP_MESSAGE;
    for (const child of Object.values(v)) stack.push({ value: child, depth: depth + 1 });
  }
  return null;
}
