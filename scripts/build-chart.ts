/**
 * Packages deploy/helm/tether-agent as `helm package` would (scripts/chart/package-chart.ts) and
 * writes it, with a Helm repository index for it, as a TypeScript module the Worker serves at
 * /charts/NAME-VERSION.tgz and /charts/index.yaml. Generated (git-ignored), rebuilt like the web UI:
 * `npm run build:chart`, wrangler's [build] command, `npm run typecheck` and the workerd tests' config.
 *
 * Run: node --import tsx scripts/build-chart.ts
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { type PackagedChart, packageChart } from "./chart/package-chart.ts";
import { TAR_MTIME } from "./chart/tar.ts";
import { writeGenerated } from "./write-generated.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CHART_DIR = join(ROOT, "deploy", "helm", "tether-agent");
export const CHART_OUTPUT = join(ROOT, "worker", "charts", "generated", "chart.ts");

// A fixed time, like the archive's entries: the index changes only when the chart does.
const CREATED = new Date(TAR_MTIME * 1000).toISOString();

/**
 * A Helm repository index with the one chart. Its URL is relative, which helm resolves against the
 * repository URL, so the same index works whatever host the platform is reached under.
 */
export function repositoryIndex(chart: PackagedChart): string {
  const entry = { ...chart.metadata, created: CREATED, digest: chart.digest, urls: [chart.fileName] };
  return stringify({ apiVersion: "v1", entries: { [chart.metadata.name]: [entry] }, generated: CREATED });
}

export function chartModule(chart: PackagedChart): string {
  const served = {
    name: chart.metadata.name,
    version: chart.metadata.version,
    fileName: chart.fileName,
    digest: chart.digest,
    indexYaml: repositoryIndex(chart),
    tgzBase64: Buffer.from(chart.tgz).toString("base64"),
  };
  return [
    `// Generated from ${relative(ROOT, CHART_DIR)}/ by ${relative(ROOT, fileURLToPath(import.meta.url))}; do not edit.`,
    "export interface ServedChart {",
    "  name: string;",
    "  version: string;",
    "  /** NAME-VERSION.tgz */",
    "  fileName: string;",
    "  /** sha256 of the .tgz, hex */",
    "  digest: string;",
    "  indexYaml: string;",
    "  tgzBase64: string;",
    "}",
    `export const CHART: ServedChart = ${JSON.stringify(served, null, 2)};`,
    "",
  ].join("\n");
}

/** Writes the module when its text changed (see write-generated.ts). */
export async function buildChart(): Promise<{ path: string; changed: boolean; chart: PackagedChart }> {
  const chart = await packageChart(CHART_DIR);
  const text = chartModule(chart);
  return { path: CHART_OUTPUT, changed: await writeGenerated(CHART_OUTPUT, text), chart };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { path, changed, chart } = await buildChart();
    console.log(
      `chart: ${relative(ROOT, path)} ${changed ? "written" : "unchanged"} (${chart.fileName}, ${chart.tgz.length} bytes)`,
    );
  } catch (err) {
    console.error(`chart build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
