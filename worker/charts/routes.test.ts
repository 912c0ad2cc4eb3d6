import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { call, errorOf } from "../test/http.ts";
import { CHART } from "./generated/chart.ts";

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function gunzip(bytes: ArrayBuffer): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("GET /charts/", () => {
  it("serves the packaged chart without a key, gzip whose digest the index lists", async () => {
    expect(CHART.fileName).toBe(`tether-agent-${CHART.version}.tgz`);
    const res = await call("GET", `/charts/${CHART.fileName}`, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const bytes = await res.arrayBuffer();
    expect(await sha256Hex(bytes)).toBe(CHART.digest);
    // A tar whose first entry is the chart's Chart.yaml under the chart's name, as helm package lays it out.
    const tar = await gunzip(bytes);
    expect(new TextDecoder().decode(tar.subarray(0, 23))).toBe("tether-agent/Chart.yaml");
    expect(new TextDecoder().decode(tar.subarray(257, 262))).toBe("ustar");
  });

  it("answers a matching If-None-Match with 304", async () => {
    const res = await call("GET", `/charts/${CHART.fileName}`, {
      token: null,
      headers: { "if-none-match": `"${CHART.digest}"` },
    });
    expect(res.status).toBe(304);
  });

  it("serves a Helm repository index listing the chart with a relative URL and its digest", async () => {
    const res = await call("GET", "/charts/index.yaml", { token: null });
    expect(res.status).toBe(200);
    const index = parse(await res.text()) as {
      apiVersion: string;
      entries: Record<string, { name: string; version: string; digest: string; urls: string[] }[]>;
    };
    expect(index.apiVersion).toBe("v1");
    expect(index.entries["tether-agent"]).toEqual([
      expect.objectContaining({
        name: "tether-agent",
        version: CHART.version,
        digest: CHART.digest,
        urls: [CHART.fileName],
      }),
    ]);
  });

  it.each(["tether-agent-9.9.9.tgz", "other.tgz", "index.json"])("answers 404 for %s", async (file) => {
    const res = await call("GET", `/charts/${file}`, { token: null });
    expect(await errorOf(res)).toEqual({
      status: 404,
      code: "not_found",
      message: `No chart "${file}"; this platform serves ${CHART.fileName}.`,
    });
  });
});

describe("the connect commands", () => {
  it("point at the chart this platform serves", async () => {
    const res = await call("POST", "/api/v1/clusters", { json: { displayName: "Chart URL" } });
    const body = (await res.json()) as { connect: { chartUrl: string; helm: string } };
    expect(body.connect.chartUrl).toBe(`http://platform.test/charts/${CHART.fileName}`);
    expect(body.connect.helm).toContain(` ${body.connect.chartUrl} -n tether `);
  });
});
