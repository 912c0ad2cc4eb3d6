/** Locating and running the project's own wrangler (a devDependency), never a global one. */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { checkoutRoot } from "./checkout.ts";

/**
 * The checkout's wrangler as a module (for `unstable_startWorker`). Resolved from
 * the checkout rather than imported by name, so the bundled CLI never carries
 * wrangler inside it and always uses the pinned one.
 */
export async function loadWrangler(): Promise<typeof import("wrangler")> {
  const require = createRequire(join(checkoutRoot(), "package.json"));
  return (await import(pathToFileURL(require.resolve("wrangler")).href)) as typeof import("wrangler");
}

export function wranglerBin(): string {
  const require = createRequire(join(checkoutRoot(), "package.json"));
  // wrangler's exports map hides package.json, so resolve its main and walk to bin/.
  const main = require.resolve("wrangler");
  let dir = dirname(main);
  while (basename(dir) !== "wrangler" && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, "bin", "wrangler.js");
}

export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The local platform has no use for Request.cf; fetching it is a needless call to the internet.
  return {
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    ...extra,
  };
}

export function spawnWrangler(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [wranglerBin(), ...args], {
    cwd: checkoutRoot(),
    env: wranglerEnv(),
    ...options,
  });
}

export interface CapturedRun {
  code: number | null;
  output: string;
}

/** Runs wrangler to completion, capturing stdout+stderr together (in order, as it came). */
export function runWrangler(args: readonly string[], env: Record<string, string> = {}): Promise<CapturedRun> {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(args, { env: wranglerEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}
