export type ValuesMap = { [key: string]: unknown };

export function isValuesMap(value: unknown): value is ValuesMap {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Assignment would treat a "__proto__" key from user YAML as the prototype setter.
function setOwn(target: ValuesMap, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (!isValuesMap(value)) return value;
  const out: ValuesMap = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) setOwn(out, key, withoutNulls(child));
  }
  return out;
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isValuesMap(value)) {
    const out: ValuesMap = {};
    for (const [key, child] of Object.entries(value)) setOwn(out, key, cloneValue(child));
    return out;
  }
  return value;
}

/**
 * Layers `overlay` on `base` the way Helm layers `--values` files: maps merge
 * deeply, the overlay wins on everything else, lists are replaced whole, and a
 * null in the overlay deletes the key (a null under a key the base lacks deletes
 * nothing, so it is dropped too). Neither input is modified.
 */
export function helmMerge(base: ValuesMap, overlay: ValuesMap): ValuesMap {
  const out = cloneValue(base) as ValuesMap;
  for (const [key, value] of Object.entries(overlay)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    if (value === null) {
      delete out[key];
    } else if (isValuesMap(value) && isValuesMap(current)) {
      setOwn(out, key, helmMerge(current, value));
    } else {
      setOwn(out, key, withoutNulls(value));
    }
  }
  return out;
}
