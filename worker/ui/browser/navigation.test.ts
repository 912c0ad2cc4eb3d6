import { describe, expect, it } from "vitest";
import { clusterPagePath, route } from "./navigation.ts";

describe("route", () => {
  it.each([
    ["/ui", { view: "clusters" }],
    ["/ui/", { view: "clusters" }],
    ["/ui/clusters", { view: "clusters" }],
    ["/ui/clusters/", { view: "clusters" }],
    ["/ui/clusters/staging", { view: "cluster", name: "staging", tab: "overview" }],
    ["/ui/clusters/staging/", { view: "cluster", name: "staging", tab: "overview" }],
    ["/ui/clusters/a%20b", { view: "cluster", name: "a b", tab: "overview" }],
    ["/ui/clusters/staging/agent", { view: "cluster", name: "staging", tab: "agent" }],
    ["/ui/clusters/staging/events/", { view: "cluster", name: "staging", tab: "events" }],
    ["/ui/clusters/staging/settings", { view: "cluster", name: "staging", tab: "settings" }],
    ["/ui/settings", { view: "settings" }],
    ["/ui/settings/", { view: "settings" }],
    ["/ui/keys", { view: "keys" }],
    ["/ui/clusters/staging/extra", { view: "not-found" }],
    ["/ui/clusters/staging/agent/more", { view: "not-found" }],
    ["/ui/nope", { view: "not-found" }],
    // decodeURIComponent throws on these; the page must still render something.
    ["/ui/clusters/%E0%A4%A", { view: "not-found" }],
    ["/ui/clusters/%zz", { view: "not-found" }],
  ])("%s -> %j", (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it("round-trips any cluster name and tab through its page path", () => {
    for (const name of ["staging", "edge-eu-1", "Bad Name/?#", "é"]) {
      expect(route(clusterPagePath(name))).toEqual({ view: "cluster", name, tab: "overview" });
      expect(route(clusterPagePath(name, "events"))).toEqual({ view: "cluster", name, tab: "events" });
    }
  });
});
