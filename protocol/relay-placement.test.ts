import { describe, expect, it } from "vitest";
import { type AgentLocation, distanceKm, HINT_SITES, placeRelay } from "./relay-placement.ts";

// Real city coordinates (as request.cf reports them: latitude/longitude, continent, colo).
const city = (continent: string, latitude: number, longitude: number, colo: string): AgentLocation => ({
  continent,
  latitude,
  longitude,
  colo,
});
const TOKYO = city("AS", 35.68, 139.69, "NRT");
const SYDNEY = city("OC", -33.87, 151.21, "SYD");
const FRANKFURT = city("EU", 50.11, 8.68, "FRA");
const PARIS = city("EU", 48.86, 2.35, "CDG");
const NEW_YORK = city("NA", 40.71, -74.01, "EWR");
const SAN_FRANCISCO = city("NA", 37.77, -122.42, "SJC");
const SAO_PAULO = city("SA", -23.55, -46.63, "GRU");
const BUENOS_AIRES = city("SA", -34.6, -58.38, "EZE");
const JOHANNESBURG = city("AF", -26.2, 28.05, "JNB");
const CAPE_TOWN = city("AF", -33.92, 18.42, "CPT");
const MUMBAI = city("AS", 19.08, 72.88, "BOM");
const DUBAI = city("AS", 25.2, 55.27, "DXB");
const WARSAW = city("EU", 52.23, 21.01, "WAW");
const BUCHAREST = city("EU", 44.43, 26.1, "OTP");
const LONDON = city("EU", 51.51, -0.13, "LHR");
const SEATTLE = city("NA", 47.61, -122.33, "SEA");
const SINGAPORE = city("AS", 1.35, 103.82, "SIN");

describe("placeRelay", () => {
  it("does not send Tokyo <-> Sydney through Europe", () => {
    const p = placeRelay(TOKYO, SYDNEY);
    expect(p.locationHint).not.toBe("weur");
    expect(p.locationHint).toBe("apac");
    expect(p.basis).toBe("both");
    // Frankfurt would leave Sydney about 16,500 km away; Singapore leaves it about 6,300.
    expect(p.worstKm).toBeLessThan(6_500);
    expect(distanceKm({ lat: SYDNEY.latitude!, lon: SYDNEY.longitude! }, HINT_SITES.weur)).toBeGreaterThan(
      16_000,
    );
  });

  it("keeps pairs inside one region in that region", () => {
    expect(placeRelay(FRANKFURT, PARIS).locationHint).toBe("weur");
    expect(placeRelay(LONDON, PARIS).locationHint).toBe("weur");
    expect(placeRelay(WARSAW, BUCHAREST).locationHint).toBe("eeur");
    expect(placeRelay(SAN_FRANCISCO, SEATTLE).locationHint).toBe("wnam");
    expect(placeRelay(NEW_YORK, NEW_YORK).locationHint).toBe("enam");
    expect(placeRelay(SAO_PAULO, BUENOS_AIRES).locationHint).toBe("sam");
    expect(placeRelay(JOHANNESBURG, CAPE_TOWN).locationHint).toBe("afr");
    expect(placeRelay(MUMBAI, DUBAI).locationHint).toBe("me");
    expect(placeRelay(SINGAPORE, TOKYO).locationHint).toBe("apac");
  });

  it("meets in the middle for pairs far apart", () => {
    // New York <-> Frankfurt: the Atlantic; either coast of it is closer to both than anywhere else.
    expect(["enam", "weur"]).toContain(placeRelay(NEW_YORK, FRANKFURT).locationHint);
    // San Francisco <-> Tokyo: not Europe, not the east coast.
    expect(["wnam", "apac"]).toContain(placeRelay(SAN_FRANCISCO, TOKYO).locationHint);
    // London <-> Johannesburg: not Sydney or the Americas.
    expect(["weur", "afr", "me", "eeur"]).toContain(placeRelay(LONDON, JOHANNESBURG).locationHint);
  });

  it("is the same from either side, and minimises the worse distance", () => {
    const cities = [TOKYO, SYDNEY, FRANKFURT, NEW_YORK, SAO_PAULO, JOHANNESBURG, MUMBAI, SEATTLE];
    for (const a of cities) {
      for (const b of cities) {
        const p = placeRelay(a, b);
        expect(placeRelay(b, a).locationHint).toBe(p.locationHint);
        const worst = (hint: keyof typeof HINT_SITES) =>
          Math.max(
            ...[a, b].map((c) => distanceKm({ lat: c.latitude!, lon: c.longitude! }, HINT_SITES[hint])),
          );
        for (const other of Object.keys(HINT_SITES) as (keyof typeof HINT_SITES)[])
          expect(worst(p.locationHint!)).toBeLessThanOrEqual(worst(other) + 1e-6);
      }
    }
  });

  it("falls back to one agent, then to continents, then to no hint", () => {
    expect(placeRelay(TOKYO, null)).toEqual({
      locationHint: "apac",
      jurisdiction: null,
      worstKm: null,
      basis: "one",
    });
    expect(placeRelay({ continent: "EU" }, { continent: "EU", colo: "FRA" })).toMatchObject({
      locationHint: "weur",
      basis: "continent",
      worstKm: null,
    });
    expect(placeRelay({ colo: "FRA" }, undefined)).toEqual({
      locationHint: null,
      jurisdiction: null,
      worstKm: null,
      basis: "none",
    });
  });

  it("carries the jurisdiction it was given", () => {
    expect(placeRelay(PARIS, FRANKFURT, "eu")).toMatchObject({ locationHint: "weur", jurisdiction: "eu" });
  });

  it("measures real distances", () => {
    const km = distanceKm(
      { lat: TOKYO.latitude!, lon: TOKYO.longitude! },
      { lat: SYDNEY.latitude!, lon: SYDNEY.longitude! },
    );
    expect(Math.round(km / 100) * 100).toBe(7_800);
  });
});
