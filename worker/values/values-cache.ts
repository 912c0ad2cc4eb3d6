import { isStringRecord, parseJsonColumn } from "../clusters/to-json.ts";
import type { accessKeys } from "../db/schema.ts";
import { type AnnotationValues, annotationValues } from "./effective-values.ts";
import { configFromRows, DEFAULT_CONFIG_YAML, type PlatformConfig } from "./platform-config.ts";

type AccessKeyRow = typeof accessKeys.$inferSelect;

/**
 * How long this isolate serves the values endpoints from what it last read.
 *
 * Every D1 round trip costs several times the work of a whole values response,
 * and Helm and agents poll these URLs, so the endpoints keep the access-key row,
 * the cluster's annotation and the platform config for a moment instead of
 * reading them for every request. Writes made through this isolate (any
 * non-GET under /api/v1/access-keys, /api/v1/clusters or /api/v1/config, see
 * app.ts) drop the cache when they finish, so a client that writes and then
 * reads through the same isolate sees its write at once. A write reaching D1
 * any other way (another isolate, a hand edit) shows within TTL_MS: that is how
 * long a deleted key can still read values from an isolate that had just used it.
 *
 * The key's disabled flag, expiry and scope are still checked on every request,
 * against the request's clock; only unknown keys and clusters are never cached,
 * so a wrong token or name always costs a D1 read, exactly as before.
 */
export const VALUES_CACHE_TTL_MS = 1_000;
/** Per map; the oldest entry goes first. Bounds memory whatever names and keys are presented. */
const MAX_ENTRIES = 1_000;

/** A cluster's annotation as the values endpoints use it, with the YAML already rendered from it. */
export interface CachedCluster {
  /** The annotations column as read; a re-read with the same text keeps this entry and its renders. */
  annotationsText: string;
  annotation: AnnotationValues;
  /** Response bodies by source, each valid only for the config object it was rendered with. */
  rendered: Map<string, { config: PlatformConfig; body: string }>;
}

export interface ValuesInputs {
  /** undefined when the key has no row (or none was asked for: the bootstrap key). */
  keyRow: AccessKeyRow | undefined;
  cluster: CachedCluster | undefined;
  config: PlatformConfig;
}

interface Entry<V> {
  value: V;
  readAt: number;
}

class TtlMap<V> {
  private readonly entries = new Map<string, Entry<V>>();

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    // A stale entry stays until replaced, so a re-read can reuse what was parsed from the same text.
    return entry !== undefined && isFresh(entry.readAt, now) ? entry.value : undefined;
  }

  /** The value even when stale. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: V, readAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, readAt });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

function isFresh(readAt: number, now: number): boolean {
  // A clock that went backwards counts as stale rather than as fresh for longer.
  return now >= readAt && now - readAt < VALUES_CACHE_TTL_MS;
}

export class ValuesCache {
  private generation = 0;
  private readonly keys = new TtlMap<AccessKeyRow>();
  private readonly clusters = new TtlMap<CachedCluster>();
  private config: Entry<PlatformConfig> | null = null;

  /** `clock` is wall time for the TTL, never the request's (injectable) business clock. */
  constructor(private readonly clock: () => number = Date.now) {}

  /** Everything a values request needs, or null when any of it must be read from D1. `keyHash` null: no key row needed. */
  lookup(keyHash: string | null, clusterName: string): ValuesInputs | null {
    const now = this.clock();
    if (this.config === null || !isFresh(this.config.readAt, now)) return null;
    const keyRow = keyHash === null ? undefined : this.keys.get(keyHash, now);
    if (keyHash !== null && keyRow === undefined) return null;
    const cluster = this.clusters.get(clusterName, now);
    if (cluster === undefined) return null;
    return { keyRow, cluster, config: this.config.value };
  }

  /** Call before the D1 read; pass the result to store() so a read that raced a write is not kept. */
  begin(): number {
    return this.generation;
  }

  /** Turns the rows of one D1 read into ValuesInputs, and keeps them unless a write finished meanwhile. */
  store(
    generation: number,
    keyHash: string | null,
    clusterName: string,
    rows: {
      keyRow: AccessKeyRow | undefined;
      annotationsText: string | undefined;
      configRows: { yaml: string }[];
    },
  ): ValuesInputs {
    const config = this.reuseConfig(rows.configRows);
    let cluster: CachedCluster | undefined;
    if (rows.annotationsText !== undefined) {
      const previous = this.clusters.peek(clusterName);
      cluster =
        previous?.annotationsText === rows.annotationsText
          ? previous
          : {
              annotationsText: rows.annotationsText,
              annotation: annotationValues(parseJsonColumn(rows.annotationsText, isStringRecord, {})),
              rendered: new Map(),
            };
    }
    if (generation === this.generation) {
      const readAt = this.clock();
      this.config = { value: config, readAt };
      if (keyHash !== null) {
        if (rows.keyRow === undefined) this.keys.delete(keyHash);
        else this.keys.set(keyHash, rows.keyRow, readAt);
      }
      if (cluster === undefined) this.clusters.delete(clusterName);
      else this.clusters.set(clusterName, cluster, readAt);
    }
    return { keyRow: rows.keyRow, cluster, config };
  }

  /** Drops everything; later reads go to D1, and reads already in flight are not kept. */
  invalidate(): void {
    this.generation++;
    this.keys.clear();
    this.clusters.clear();
    this.config = null;
  }

  private reuseConfig(configRows: { yaml: string }[]): PlatformConfig {
    const previous = this.config?.value;
    // Same text, same object: no re-parse, and renders made against it stay valid.
    if (previous !== undefined && previous.yaml === (configRows[0]?.yaml ?? DEFAULT_CONFIG_YAML))
      return previous;
    return configFromRows(configRows);
  }
}

/** The isolate's cache for the values endpoints (GET /clusters/...). */
export const valuesCache = new ValuesCache();
