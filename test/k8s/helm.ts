/** Runs the real helm (built by test/k8s/tools.sh) with its own config dirs, never the user's. */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { goTool } from "../helpers/go-tools.ts";

export const CHART_DIR = fileURLToPath(new URL("../../deploy/helm/tether-agent", import.meta.url));

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

let helmBin: string | undefined;

/** One helm run, with a fresh HOME and helm dirs that are removed when it ends. */
export async function helm(args: string[], opts: { kubeconfig?: string } = {}): Promise<HelmResult> {
  helmBin ??= goTool("helm", "helm");
  const bin = helmBin;
  const home = await mkdtemp(join(tmpdir(), "tether-helm-home-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
    // No cluster unless a test gives one: helm template must not read a kubeconfig by accident.
    KUBECONFIG: opts.kubeconfig ?? join(home, "no-kubeconfig"),
  };
  try {
    return await new Promise((resolve) => {
      execFile(bin, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== "number" ? err.message : "") });
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** helm, failing the test with helm's own stderr when it exits non-zero. */
export async function helmOk(args: string[], opts: { kubeconfig?: string } = {}): Promise<string> {
  const r = await helm(args, opts);
  if (r.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** The objects in a rendered manifest stream. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The one object of this kind (and name, when given). */
export function pick(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0]!;
}

/** The values a user passes for one cluster, as `tether cluster add` prints them. */
export const CONNECT_SETS = [
  "--set",
  "platform.url=https://platform.example.test",
  "--set",
  "cluster.name=staging",
  "--set",
  "cluster.psk=tpsk_test-psk-value",
];
