import { execFile } from "node:child_process";
import { mkdir, mkdtemp, symlink } from "node:fs/promises";
import { join } from "node:path";
import { goTool } from "../helpers/go-tools.ts";

/**
 * Runs a command line exactly as the platform printed it, in /bin/sh, with the real helm (built by
 * test/k8s/tools.sh) first on PATH and KUBECONFIG pointing at the test's API server: the only
 * substitutions from what a user pastes. Resolves with its stdout.
 */
export async function runPrinted(
  command: string,
  opts: { workDir: string; kubeconfig: string },
): Promise<string> {
  const bin = join(opts.workDir, "bin");
  await mkdir(bin, { recursive: true });
  await symlink(goTool("helm", "helm"), join(bin, "helm")).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
  const home = await mkdtemp(join(opts.workDir, "home-"));
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: home,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
    KUBECONFIG: opts.kubeconfig,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(
      "/bin/sh",
      ["-c", command],
      { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${command}\nfailed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end();
  });
}
