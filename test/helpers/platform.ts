/**
 * A real local platform for end-to-end tests and benchmarks: `tether dev`
 * (wrangler dev on workerd + a local D1) on a free port, with its own temp
 * state dir and admin key, so runs never touch the repo's .dev.vars or
 * .wrangler/state and can run side by side.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateAccessKey } from "../../agent/cli/dev-vars.ts";
import { freePort } from "./free-port.ts";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TETHER_BIN = join(PROJECT_ROOT, "bin", "tether.js");

export interface StartPlatformOptions {
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Admin key the Worker accepts; a fresh random one when omitted. */
  adminKey?: string;
  /** How long to wait for /healthz (ms). */
  readyTimeoutMs?: number;
  /** Extra environment for `tether dev` (e.g. HTTPS_PROXY in later tests). */
  env?: Record<string, string>;
  /**
   * Run `tether dev` inside this network namespace (system tests: the "internet"
   * of a NAT lab), listening on all of its addresses; `host` is the address the
   * URL uses, reachable from the test process.
   */
  netns?: { name: string; host: string };
  /** More Worker variables for the vars file (e.g. TETHER_BENCH_COUNTERS for the fleet bench). */
  vars?: Record<string, string>;
  /** Extra `tether dev` arguments (e.g. `--inspect`). */
  devArgs?: readonly string[];
}

export interface Platform {
  url: string;
  port: number;
  adminKey: string;
  /** Temp dir holding D1/Durable Object state, the vars file and the log. */
  persistDir: string;
  /** Path of the combined stdout/stderr log of `tether dev` (and wrangler under it). */
  logFile: string;
  /**
   * Stops workerd and starts it again on the same port with the same state, as
   * a deploy would: D1 rows and Durable Object storage survive, sockets do not.
   * Resolves when /healthz answers again.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The process group of the running `tether dev` (it and workerd), for tests that inspect it. */
  processGroup(): number | undefined;
}

const DEFAULT_READY_TIMEOUT_MS = 150_000;

export async function startPlatform(opts: StartPlatformOptions = {}): Promise<Platform> {
  const persistDir = await mkdtemp(join(tmpdir(), "tether-platform-"));
  const adminKey = opts.adminKey ?? generateAccessKey();
  const varsFile = join(persistDir, "dev.vars");
  const logFile = join(persistDir, "tether-dev.log");
  const extraVars = Object.entries(opts.vars ?? {}).map(([k, v]) => `${k}=${v}\n`);
  await writeFile(varsFile, [`ADMIN_ACCESS_KEY=${adminKey}\n`, ...extraVars].join(""), { mode: 0o600 });
  const port = opts.port ?? (await freePort());
  const url = `http://${opts.netns?.host ?? "127.0.0.1"}:${port}`;

  const spawnDev = (): RunningDev => {
    const logFd = openSync(logFile, "a");
    try {
      const args = [
        TETHER_BIN,
        "dev",
        "--port",
        String(port),
        "--ip",
        opts.netns ? "0.0.0.0" : "127.0.0.1",
        "--persist-to",
        join(persistDir, "state"),
        "--vars-file",
        varsFile,
        ...(opts.devArgs ?? []),
      ];
      // `ip netns exec` execs the command, so the child (and its group) stays the Node process.
      const [cmd, argv] = opts.netns
        ? ["ip", ["netns", "exec", opts.netns.name, process.execPath, ...args]]
        : [process.execPath, args];
      const child = spawn(cmd as string, argv as string[], {
        cwd: PROJECT_ROOT,
        // Own process group, so stop() can take down wrangler and workerd with it.
        detached: true,
        stdio: ["ignore", logFd, logFd],
        // No banner means no npm update check: tests send traffic to loopback only.
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: "false",
          WRANGLER_HIDE_BANNER: "true",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          ...opts.env,
        },
      });
      const running: RunningDev = { child, exitCode: undefined, exited: Promise.resolve() };
      running.exited = new Promise<void>((resolve) => {
        child.on("exit", (code, signal) => {
          running.exitCode = code ?? (signal ? -1 : null);
          resolve();
        });
        child.on("error", () => {
          running.exitCode = -1;
          resolve();
        });
      });
      return running;
    } finally {
      closeSync(logFd);
    }
  };

  let dev = spawnDev();
  const ready = async () => {
    const current = dev;
    try {
      await waitForHealthy(
        url,
        opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
        () => current.exitCode !== undefined,
      );
    } catch (err) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      const tail = log.split("\n").slice(-30).join("\n");
      throw new Error(`${(err as Error).message}\n--- tether dev log (tail) ---\n${tail}`);
    }
  };
  const stop = async () => {
    await killGroup(dev.child, dev.exited);
    await rm(persistDir, { recursive: true, force: true });
  };
  const restart = async () => {
    await killGroup(dev.child, dev.exited);
    dev = spawnDev();
    await ready();
  };

  try {
    await ready();
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, adminKey, persistDir, logFile, restart, stop, processGroup: () => dev.child.pid };
}

interface RunningDev {
  child: ChildProcess;
  exitCode: number | null | undefined;
  exited: Promise<void>;
}

async function waitForHealthy(url: string, timeoutMs: number, exitedEarly: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitedEarly()) throw new Error(`tether dev exited before ${url}/healthz answered`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.ok && body.includes('"ok":true')) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/healthz did not answer within ${Math.round(timeoutMs / 1000)} s`);
}

/** SIGTERM to the whole group, then SIGKILL if it is still there after a grace period. */
async function killGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), 5_000)),
  ]);
  // workerd may outlive its parent briefly; make sure nothing of the group survives.
  signalGroup("SIGKILL");
  if (timedOut) await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
}
