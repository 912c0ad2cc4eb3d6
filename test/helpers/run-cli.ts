/** Runs the real `bin/tether.js` as a child process, the way a user would. */
import { spawn } from "node:child_process";
import { PROJECT_ROOT, TETHER_BIN } from "./platform.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Written to stdin and then closed; stdin is closed empty when omitted. */
  stdin?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export function runTether(args: readonly string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Tests pass the platform and key explicitly; ambient values must not leak in.
    delete env.TETHER_PLATFORM;
    delete env.TETHER_ACCESS_KEY;
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const child = spawn(process.execPath, [TETHER_BIN, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}
