import { z } from "zod";

/**
 * Where a pair's relay object should live. Cloudflare creates a Durable Object
 * near the first request unless told otherwise; for a relay that is wherever
 * the first of the two agents happened to connect from, so Tokyo and Sydney
 * could meet in Frankfurt. Given both agents' locations (what the Worker sees
 * in `request.cf`), this picks the location hint whose region minimises the
 * worse of the two great-circle distances.
 *
 * Pure: no I/O, no clock. The Worker calls it once per pair, when the pair's
 * object is first created (a hint only counts then), and records the answer.
 */

/** Cloudflare's Durable Object location hints (workers-types DurableObjectLocationHint). */
export const LocationHint = z.enum(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]);
export type LocationHint = z.infer<typeof LocationHint>;

/**
 * Jurisdictions a namespace can be restricted to (`relay.jurisdiction` in the platform config),
 * as the pinned @cloudflare/workers-types lists them.
 */
export const RelayJurisdiction = z.enum(["eu", "fedramp", "fedramp-high"]);
export type RelayJurisdiction = z.infer<typeof RelayJurisdiction>;

/** The part of `request.cf` placement reads; every field may be missing (local runs, some networks). */
export const AgentLocation = z.object({
  continent: z.string().max(2).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  colo: z.string().max(8).optional(),
});
export type AgentLocation = z.infer<typeof AgentLocation>;

/** A pair's recorded placement, as the cluster detail API and the relay's hello report it. */
export const RelayPlacement = z.object({
  locationHint: LocationHint.nullable(),
  jurisdiction: RelayJurisdiction.nullable(),
  /** The farther agent's distance to the hint's region, in km; null when a location was unknown. */
  worstKm: z.number().int().nonnegative().nullable(),
  /** How it was chosen: both agents' coordinates, one agent's, continents only, or nothing known. */
  basis: z.enum(["both", "one", "continent", "none"]),
});
export type RelayPlacement = z.infer<typeof RelayPlacement>;

interface LatLon {
  lat: number;
  lon: number;
}

/**
 * A representative point per hint: a large Cloudflare Durable Object site in
 * that region (the exact sites are not published; these are the metros the
 * regions are named after).
 */
export const HINT_SITES: Record<LocationHint, LatLon & { name: string }> = {
  wnam: { name: "San Jose", lat: 37.34, lon: -121.89 },
  enam: { name: "Ashburn", lat: 39.04, lon: -77.49 },
  sam: { name: "Sao Paulo", lat: -23.55, lon: -46.63 },
  weur: { name: "Amsterdam", lat: 52.37, lon: 4.9 },
  eeur: { name: "Warsaw", lat: 52.23, lon: 21.01 },
  apac: { name: "Singapore", lat: 1.35, lon: 103.82 },
  oc: { name: "Sydney", lat: -33.87, lon: 151.21 },
  afr: { name: "Johannesburg", lat: -26.2, lon: 28.05 },
  me: { name: "Dubai", lat: 25.2, lon: 55.27 },
};

/** A continent code (cf.continent) stands for this point when coordinates are missing. */
const CONTINENT_POINTS: Record<string, LatLon> = {
  NA: { lat: 39.8, lon: -98.6 },
  SA: { lat: -15.6, lon: -56.1 },
  EU: { lat: 50.1, lon: 8.7 },
  AS: { lat: 22.3, lon: 114.2 },
  OC: { lat: -33.87, lon: 151.21 },
  AF: { lat: -1.29, lon: 36.82 },
  AN: { lat: -33.87, lon: 151.21 },
};

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance (haversine), km. */
export function distanceKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

function pointOf(l: AgentLocation | null | undefined): { point: LatLon; exact: boolean } | null {
  if (!l) return null;
  if (l.latitude !== undefined && l.longitude !== undefined)
    return { point: { lat: l.latitude, lon: l.longitude }, exact: true };
  const c = l.continent ? CONTINENT_POINTS[l.continent.toUpperCase()] : undefined;
  return c ? { point: c, exact: false } : null;
}

/**
 * The hint minimising the worse of the two agents' distances (ties: the smaller
 * sum, then the list order). With one location known it is the nearest region to
 * that agent; with none, no hint (Cloudflare's default placement).
 */
export function placeRelay(
  a: AgentLocation | null | undefined,
  b: AgentLocation | null | undefined,
  jurisdiction: RelayJurisdiction | null = null,
): RelayPlacement {
  const points = [pointOf(a), pointOf(b)].filter((p) => p !== null);
  if (points.length === 0) return { locationHint: null, jurisdiction, worstKm: null, basis: "none" };
  let best: { hint: LocationHint; worst: number; sum: number } | null = null;
  for (const hint of LocationHint.options) {
    const ds = points.map((p) => distanceKm(p.point, HINT_SITES[hint]));
    const worst = Math.max(...ds);
    const sum = ds.reduce((x, y) => x + y, 0);
    if (best === null || worst < best.worst || (worst === best.worst && sum < best.sum))
      best = { hint, worst, sum };
  }
  const exact = points.every((p) => p.exact);
  const basis = !exact ? "continent" : points.length === 2 ? "both" : "one";
  return {
    locationHint: best!.hint,
    jurisdiction,
    worstKm: exact && points.length === 2 ? Math.round(best!.worst) : null,
    basis,
  };
}
