/**
 * The npm package as a user gets it: `npm pack` (its prepack builds dist/) and an install of the
 * tarball into an empty directory, offline, so nothing can come from a registry.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "./platform.ts";

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: npmEnv() });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

/** No audit or fund calls, no update notice: the install must not need the network. */
function npmEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
}

export interface InstalledPackage {
  dir: string;
  tarball: string;
  /** The `tether` command npm linked into node_modules/.bin. */
  bin: string;
  /** What `npm pack` and `npm install` printed. */
  output: string;
}

export async function packAndInstall(): Promise<InstalledPackage> {
  const work = await mkdtemp(join(tmpdir(), "tether-package-"));
  const packed = await run("npm", ["pack", "--pack-destination", work], PROJECT_ROOT);
  const tarball = join(work, (await readdir(work)).find((f) => f.endsWith(".tgz"))!);
  const dir = join(work, "app");
  await mkdir(dir);
  await writeFile(join(dir, "package.json"), '{ "name": "empty", "private": true }\n');
  const installed = await run("npm", ["install", "--offline", tarball], dir);
  return { dir, tarball, bin: join(dir, "node_modules", ".bin", "tether"), output: packed + installed };
}
