/**
 * Packages a chart directory the way `helm package` lays it out: a gzipped tar whose top directory
 * is the chart's name, holding Chart.yaml, values.yaml, values.schema.json, templates/ and the other
 * files .helmignore lets through. Deterministic (sorted entries, fixed times and owners), with Node
 * only, so the platform can embed and serve the chart without helm at build time.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parse } from "yaml";
import { isIgnored, parseHelmignore } from "./helmignore.ts";
import { type TarFile, tar } from "./tar.ts";

export interface ChartMetadata {
  apiVersion: string;
  name: string;
  version: string;
  [key: string]: unknown;
}

export interface PackagedChart {
  metadata: ChartMetadata;
  /** The .tgz as `helm package` would name it: NAME-VERSION.tgz. */
  fileName: string;
  tgz: Uint8Array;
  /** sha256 of the .tgz, hex, as a Helm repository index lists it. */
  digest: string;
  /** Paths inside the archive, in archive order. */
  paths: string[];
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function parseChartYaml(text: string): ChartMetadata {
  const meta = parse(text) as Record<string, unknown> | null;
  const name = meta?.name;
  const version = meta?.version;
  if (typeof name !== "string" || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
    throw new Error(`Chart.yaml: name must be a lowercase DNS-style name, got ${JSON.stringify(name)}`);
  }
  if (typeof version !== "string" || !SEMVER.test(version)) {
    throw new Error(`Chart.yaml: version must be SemVer 2, got ${JSON.stringify(version)}`);
  }
  if (meta?.apiVersion !== "v2") throw new Error("Chart.yaml: apiVersion must be v2");
  return { ...meta, apiVersion: "v2", name, version };
}

async function walk(root: string, rules: ReturnType<typeof parseHelmignore>, dir = ""): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!isIgnored(rules, rel, true)) files.push(...(await walk(root, rules, rel)));
    } else if (entry.isFile()) {
      if (!isIgnored(rules, rel, false)) files.push(rel);
    } else {
      throw new Error(`${rel}: only regular files and directories can go into a chart`);
    }
  }
  return files;
}

// helm package writes Chart.yaml first, then values and schema, then templates, then other files.
function archiveRank(path: string): number {
  if (path === "Chart.yaml") return 0;
  if (path === "values.yaml") return 1;
  if (path === "values.schema.json") return 2;
  if (path.startsWith("templates/")) return 3;
  return 4;
}

export async function packageChart(chartDir: string): Promise<PackagedChart> {
  const metadata = parseChartYaml(await readFile(join(chartDir, "Chart.yaml"), "utf8"));
  let ignoreText = "";
  try {
    ignoreText = await readFile(join(chartDir, ".helmignore"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const rules = parseHelmignore(ignoreText);
  const files = (await walk(chartDir, rules)).sort(
    (a, b) => archiveRank(a) - archiveRank(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const entries: TarFile[] = [];
  for (const rel of files) {
    entries.push({
      path: `${metadata.name}/${rel}`,
      data: new Uint8Array(await readFile(join(chartDir, rel))),
    });
  }
  // gzip's header carries no name and a zero mtime from zlib, so equal input gives equal bytes.
  const tgz = new Uint8Array(gzipSync(tar(entries), { level: 9 }));
  return {
    metadata,
    fileName: `${metadata.name}-${metadata.version}.tgz`,
    tgz,
    digest: createHash("sha256").update(tgz).digest("hex"),
    paths: entries.map((e) => e.path),
  };
}
