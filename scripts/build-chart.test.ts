import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildChart, CHART_DIR, CHART_OUTPUT, chartModule, repositoryIndex } from "./build-chart.ts";
import { parseHelmignore } from "./chart/helmignore.ts";
import { packageChart, parseChartYaml } from "./chart/package-chart.ts";

const work = await mkdtemp(join(tmpdir(), "tether-chart-test-"));
afterAll(() => rm(work, { recursive: true, force: true }));

describe("packageChart", () => {
  it("lays the chart out as helm package does, byte for byte, readable by GNU tar", async () => {
    const chart = await packageChart(CHART_DIR);
    expect(chart.fileName).toBe(`tether-agent-${chart.metadata.version}.tgz`);
    expect(chart.paths.slice(0, 3)).toEqual([
      "tether-agent/Chart.yaml",
      "tether-agent/values.yaml",
      "tether-agent/values.schema.json",
    ]);
    const tgz = join(work, chart.fileName);
    await writeFile(tgz, chart.tgz);
    const listed = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(chart.paths);
    const out = join(work, "extracted");
    await mkdir(out);
    execFileSync("tar", ["-xzf", tgz, "-C", out]);
    for (const path of chart.paths) {
      const original = await readFile(join(CHART_DIR, path.slice("tether-agent/".length)));
      expect(await readFile(join(out, path))).toEqual(original);
    }
  });

  it("is deterministic: the same chart gives the same bytes and digest", async () => {
    const [a, b] = await Promise.all([packageChart(CHART_DIR), packageChart(CHART_DIR)]);
    expect(Buffer.from(a.tgz).equals(Buffer.from(b.tgz))).toBe(true);
    expect(a.digest).toBe(b.digest);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves out what .helmignore names, and long paths use the ustar prefix", async () => {
    const dir = join(work, "demo");
    const deep = `templates/${"d".repeat(60)}/${"e".repeat(60)}`;
    await mkdir(join(dir, deep), { recursive: true });
    await writeFile(join(dir, "Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 1.2.3\n");
    await writeFile(join(dir, ".helmignore"), "# editor files\n*.orig\n/scratch/\n");
    await writeFile(join(dir, "values.yaml"), "a: 1\n");
    await writeFile(join(dir, "values.yaml.orig"), "old\n");
    await mkdir(join(dir, "scratch"));
    await writeFile(join(dir, "scratch", "notes.txt"), "x\n");
    await writeFile(join(dir, deep, "cm.yaml"), "kind: ConfigMap\n");
    const chart = await packageChart(dir);
    expect(chart.paths).toEqual([
      "demo/Chart.yaml",
      "demo/values.yaml",
      `demo/${deep}/cm.yaml`,
      "demo/.helmignore",
    ]);
    const tgz = join(work, chart.fileName);
    await writeFile(tgz, chart.tgz);
    expect(execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).trim().split("\n")).toEqual(chart.paths);
  });
});

describe("bad charts are refused with the reason", () => {
  it.each([
    ["apiVersion: v2\nname: Bad_Name\nversion: 1.0.0\n", /name must be a lowercase DNS-style name/],
    ["apiVersion: v2\nname: ok\nversion: one\n", /version must be SemVer 2/],
    ["apiVersion: v1\nname: ok\nversion: 1.0.0\n", /apiVersion must be v2/],
  ])("%j", (text, message) => {
    expect(() => parseChartYaml(text)).toThrow(message);
  });

  it.each(["!keep.txt", "**/tmp", "[ab].txt"])(
    ".helmignore pattern %s is refused, not half-understood",
    (line) => {
      expect(() => parseHelmignore(`ok\n${line}\n`)).toThrow(
        `.helmignore line 2: unsupported pattern "${line}"`,
      );
    },
  );
});

describe("buildChart", () => {
  it("writes the module the Worker serves, and leaves an unchanged one alone", async () => {
    await buildChart();
    const second = await buildChart();
    expect(second.changed).toBe(false);
    const text = await readFile(CHART_OUTPUT, "utf8");
    expect(text).toBe(chartModule(second.chart));
    const index = parse(repositoryIndex(second.chart)) as { entries: Record<string, { digest: string }[]> };
    expect(index.entries["tether-agent"]?.[0]?.digest).toBe(second.chart.digest);
  });
});
