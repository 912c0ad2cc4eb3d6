import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BASE, call } from "../test/http.ts";

describe("web UI routes", () => {
  it.each(["/ui", "/ui/", "/ui/clusters/staging", "/ui/clusters/staging/events", "/ui/keys", "/ui/settings"])(
    "GET %s serves the page with a strict CSP and no credential",
    async (path) => {
      const res = await call("GET", path, { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const html = await res.text();
      expect(html).toContain('<script src="/ui/assets/app.js" defer></script>');
      expect(html).toContain('<link rel="stylesheet" href="/ui/assets/app.css">');
      // Nothing inline for the CSP to refuse.
      expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    },
  );

  it.each([
    ["/ui/assets/app.js", "text/javascript; charset=utf-8", "clusterNameProblem"],
    ["/ui/assets/app.css", "text/css; charset=utf-8", "@media (max-width: 720px)"],
  ])("GET %s is bundled, served as %s", async (path, type, marker) => {
    const res = await call("GET", path, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    const text = await res.text();
    expect(text).toContain(marker);
    // Every asset comes from the Worker: no CDN, no other origin.
    expect(text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
    expect(text).not.toMatch(/@import|url\(http/);
  });

  it("an unknown asset is a JSON 404, not the page", async () => {
    const res = await call("GET", "/ui/assets/nope.js", { token: null });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("GET / redirects to the UI, and /clusters/* is still the values endpoints", async () => {
    const root = await SELF.fetch(`${BASE}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/ui");
    const values = await call("GET", "/clusters/no-such-cluster", { token: null });
    expect(values.status).toBe(401);
  });
});
