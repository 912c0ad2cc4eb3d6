import { eq, inArray, or } from "drizzle-orm";
import { pairName } from "../../protocol/relay.ts";
import {
  AgentLocation,
  LocationHint,
  placeRelay,
  RelayJurisdiction,
  type RelayPlacement,
} from "../../protocol/relay-placement.ts";
import type { Db } from "../db/client.ts";
import { agentLocations, relayPairs } from "../db/schema.ts";

/**
 * Placement as the Worker keeps it: each agent's location from its last relay
 * connection, and per pair the hint its object was created with. The hint
 * counts only when an object is first created, so it is decided once per pair
 * (and again only when `relay.jurisdiction` changes, which names a new object).
 */

/** The location fields of `request.cf`, or null when the runtime gave none (tests, some local runs). */
export function locationFromCf(cf: unknown): AgentLocation | null {
  if (typeof cf !== "object" || cf === null) return null;
  const c = cf as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : undefined);
  const parsed = AgentLocation.safeParse({
    continent: typeof c.continent === "string" ? c.continent : undefined,
    latitude: num(c.latitude),
    longitude: num(c.longitude),
    colo: typeof c.colo === "string" ? c.colo : undefined,
  });
  if (!parsed.success) return null;
  const l = parsed.data;
  return l.continent || l.latitude !== undefined || l.colo ? l : null;
}

export async function recordAgentLocation(
  db: Db,
  cluster: string,
  location: AgentLocation,
  now: number,
): Promise<void> {
  const row = {
    continent: location.continent ?? null,
    latitude: location.latitude ?? null,
    longitude: location.longitude ?? null,
    colo: location.colo ?? null,
    updatedAt: now,
  };
  await db
    .insert(agentLocations)
    .values({ cluster, ...row })
    .onConflictDoUpdate({ target: agentLocations.cluster, set: row });
}

function toLocation(r: typeof agentLocations.$inferSelect | undefined): AgentLocation | null {
  if (!r) return null;
  return {
    continent: r.continent ?? undefined,
    latitude: r.latitude ?? undefined,
    longitude: r.longitude ?? undefined,
    colo: r.colo ?? undefined,
  };
}

function toPlacement(r: typeof relayPairs.$inferSelect): RelayPlacement {
  const hint = LocationHint.safeParse(r.locationHint);
  const j = RelayJurisdiction.safeParse(r.jurisdiction);
  const basis = r.basis === "both" || r.basis === "one" || r.basis === "continent" ? r.basis : "none";
  return {
    locationHint: hint.success ? hint.data : null,
    jurisdiction: j.success ? j.data : null,
    worstKm: r.worstKm,
    basis,
  };
}

/**
 * The pair's placement: the recorded one, or (first connection, or a new
 * jurisdiction) a new one from both agents' last known locations, recorded
 * before the object is created. Two agents connecting at once both compute it;
 * the first insert wins and both use what was stored.
 */
export async function pairPlacement(
  db: Db,
  self: string,
  peer: string,
  jurisdiction: RelayJurisdiction | null,
  now: number,
): Promise<RelayPlacement> {
  const pair = pairName(self, peer);
  const [existing] = await db.select().from(relayPairs).where(eq(relayPairs.pair, pair));
  if (existing && (existing.jurisdiction ?? null) === jurisdiction) return toPlacement(existing);
  const locs = await db
    .select()
    .from(agentLocations)
    .where(inArray(agentLocations.cluster, [self, peer]));
  const placed = placeRelay(
    toLocation(locs.find((l) => l.cluster === self)),
    toLocation(locs.find((l) => l.cluster === peer)),
    jurisdiction,
  );
  const row = {
    locationHint: placed.locationHint,
    jurisdiction: placed.jurisdiction,
    worstKm: placed.worstKm,
    basis: placed.basis,
    createdAt: now,
  };
  const [a, b] = self < peer ? [self, peer] : [peer, self];
  if (existing) await db.update(relayPairs).set(row).where(eq(relayPairs.pair, pair));
  else
    await db
      .insert(relayPairs)
      .values({ pair, clusterA: a, clusterB: b, ...row })
      .onConflictDoNothing();
  const [stored] = await db.select().from(relayPairs).where(eq(relayPairs.pair, pair));
  return stored ? toPlacement(stored) : placed;
}

/** Every recorded relay placement of `cluster`, by peer (cluster detail). */
export async function placementsOf(db: Db, cluster: string): Promise<Record<string, RelayPlacement>> {
  const rows = await db
    .select()
    .from(relayPairs)
    .where(or(eq(relayPairs.clusterA, cluster), eq(relayPairs.clusterB, cluster)));
  const out: Record<string, RelayPlacement> = {};
  for (const r of rows) out[r.clusterA === cluster ? r.clusterB : r.clusterA] = toPlacement(r);
  return out;
}
