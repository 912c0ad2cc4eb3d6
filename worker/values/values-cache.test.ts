import { describe, expect, it } from "vitest";
import type { accessKeys } from "../db/schema.ts";
import { VALUES_CACHE_TTL_MS, ValuesCache } from "./values-cache.ts";

type AccessKeyRow = typeof accessKeys.$inferSelect;

const KEY: AccessKeyRow = {
  id: "ak_1",
  name: "k",
  scope: "values:read",
  cluster: null,
  keyHash: "h1",
  createdAt: 0,
  expiresAt: null,
  lastUsedAt: null,
  disabled: false,
};
const ANNOTATIONS = JSON.stringify({ "loft.sh/agent-values": "mtu: 1280\n" });
const CONFIG = [{ yaml: "agentValues:\n  logLevel: info\n" }];

function setup() {
  let now = 1_000_000;
  const cache = new ValuesCache(() => now);
  const store = (generation = cache.begin(), rows: Partial<Parameters<ValuesCache["store"]>[3]> = {}) =>
    cache.store(generation, "h1", "c1", {
      keyRow: KEY,
      annotationsText: ANNOTATIONS,
      configRows: CONFIG,
      ...rows,
    });
  return { cache, store, advance: (ms: number) => (now += ms) };
}

describe("ValuesCache", () => {
  it("misses until stored, then serves what was stored", () => {
    const { cache, store } = setup();
    expect(cache.lookup("h1", "c1")).toBeNull();
    const stored = store();
    expect(stored.cluster?.annotation).toEqual({ values: { mtu: 1280 }, problem: null });
    expect(stored.config.agentValues).toEqual({ logLevel: "info" });
    expect(cache.lookup("h1", "c1")).toEqual(stored);
  });

  it("serves for less than the TTL, then misses", () => {
    const { cache, store, advance } = setup();
    store();
    advance(VALUES_CACHE_TTL_MS - 1);
    expect(cache.lookup("h1", "c1")).not.toBeNull();
    advance(1);
    expect(cache.lookup("h1", "c1")).toBeNull();
  });

  it("counts a clock that went backwards as stale", () => {
    const { cache, store, advance } = setup();
    store();
    advance(-1);
    expect(cache.lookup("h1", "c1")).toBeNull();
  });

  it("misses for another key or cluster, and needs no key row for the bootstrap key", () => {
    const { cache, store } = setup();
    store();
    expect(cache.lookup("h2", "c1")).toBeNull();
    expect(cache.lookup("h1", "c2")).toBeNull();
    expect(cache.lookup(null, "c1")?.keyRow).toBeUndefined();
  });

  it("never keeps an unknown key or cluster, and forgets one that went away", () => {
    const { cache, store } = setup();
    store();
    const gone = store(undefined, { keyRow: undefined, annotationsText: undefined });
    expect(gone.keyRow).toBeUndefined();
    expect(gone.cluster).toBeUndefined();
    expect(cache.lookup("h1", "c1")).toBeNull();
    expect(cache.lookup(null, "c1")).toBeNull();
  });

  it("drops everything on invalidate, and does not keep a read that a write overtook", () => {
    const { cache, store } = setup();
    store();
    const before = cache.begin();
    cache.invalidate();
    expect(cache.lookup("h1", "c1")).toBeNull();
    const raced = store(before);
    expect(raced.cluster).toBeDefined(); // the racing request still gets its own answer
    expect(cache.lookup("h1", "c1")).toBeNull();
    store();
    expect(cache.lookup("h1", "c1")).not.toBeNull();
  });

  it("keeps parsed objects when a re-read finds the same text, and replaces them when it changed", () => {
    const { cache, store, advance } = setup();
    const first = store();
    advance(VALUES_CACHE_TTL_MS);
    const same = store();
    expect(same.config).toBe(first.config);
    expect(same.cluster).toBe(first.cluster);
    const changed = store(undefined, {
      annotationsText: JSON.stringify({ "loft.sh/agent-values": "mtu: 1300\n" }),
      configRows: [{ yaml: "agentValues:\n  logLevel: debug\n" }],
    });
    expect(changed.config).not.toBe(first.config);
    expect(changed.config.agentValues).toEqual({ logLevel: "debug" });
    expect(changed.cluster?.annotation.values).toEqual({ mtu: 1300 });
    expect(cache.lookup("h1", "c1")).toEqual(changed);
  });

  it("reads a missing config row as the default, and a broken annotations column as none", () => {
    const { store } = setup();
    const read = store(undefined, { configRows: [], annotationsText: "{not json" });
    expect(read.config.agentValues).toEqual({});
    expect(read.cluster?.annotation).toEqual({ values: {}, problem: null });
  });
});
