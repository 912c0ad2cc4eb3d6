import { describe, expect, it } from "vitest";
import { clusterPagePath, route } from "./navigation.ts";

describe("route", () => {
  it.each([
    ["/ui", { view: "clusters" }],
    ["/ui/", { view: "clusters" }],
    ["/ui/clusters", { view: "clusters" }],
    ["/ui/clusters/", { view: "clusters" }],
    ["/ui/clusters/staging", { view: "cluster", name: "staging" }],
    ["/ui/clusters/staging/", { view: "cluster", name: "staging" }],
    ["/ui/clusters/a%20b", { view: "cluster", name: "a b" }],
    ["/ui/settings", { view: "settings" }],
    ["/ui/settings/", { view: "settings" }],
    ["/ui/clusters/staging/extra", { view: "not-found" }],
    ["/ui/nope", { view: "not-found" }],
    // decodeURIComponent throws on these; the page must still render something.
    ["/ui/clusters/%E0%A4%A", { view: "not-found" }],
    ["/ui/clusters/%zz", { view: "not-found" }],
  ])("%s -> %j", (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it("round-trips any cluster name through its page path", () => {
    for (const name of ["staging", "edge-eu-1", "Bad Name/?#", "é"]) {
      expect(route(clusterPagePath(name))).toEqual({ view: "cluster", name });
    }
  });
});
