/**
 * `tether dev` (= `npm start`): a local platform on workerd with a local D1.
 * Ensures the bootstrap admin key, applies migrations, runs `wrangler dev`,
 * waits until /healthz answers, then prints how to use it. Signals are
 * forwarded so Ctrl-C stops wrangler (and its workerd) cleanly.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { checkoutRoot } from "./checkout.ts";
import type { CliIo } from "./context.ts";
import { ensureDevVars } from "./dev-vars.ts";
import { runWrangler, spawnWrangler, wranglerEnv } from "./wrangler.ts";

export interface DevOptions {
  port: number;
  ip: string;
  persistTo?: string;
  /** A dotenv file with ADMIN_ACCESS_KEY to use instead of the project's .dev.vars. */
  varsFile?: string;
  inspectorPort?: number;
  /** How long to wait for /healthz before giving up. */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;

export async function runDev(opts: DevOptions, io: CliIo): Promise<number> {
  const root = checkoutRoot();
  const varsPath = opts.varsFile ?? join(root, ".dev.vars");
  const persist = opts.persistTo ? ["--persist-to", opts.persistTo] : [];

  io.stderr(`[1/3] admin access key: checking ${varsPath}\n`);
  const vars = await ensureDevVars(varsPath);
  io.stderr(vars.created ? "      created a new key (file mode 0600)\n" : "      using the existing key\n");

  io.stderr("[2/3] applying local D1 migrations\n");
  // CI=1 makes wrangler skip its confirmation prompt.
  const migrate = await runWrangler(["d1", "migrations", "apply", "DB", "--local", ...persist], { CI: "1" });
  if (migrate.code !== 0) {
    io.stderr(migrate.output);
    throw new Error(`applying D1 migrations failed (wrangler exited with ${migrate.code})`);
  }
  const applied = migrate.output.match(/\b\d{4}_[\w-]+\.sql\b/g) ?? [];
  io.stderr(
    applied.length > 0
      ? `      applied: ${[...new Set(applied)].join(", ")}\n`
      : "      already up to date\n",
  );

  const host = opts.ip === "0.0.0.0" || opts.ip === "::" ? "127.0.0.1" : opts.ip;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${opts.port}`;
  io.stderr(`[3/3] starting wrangler dev on ${url}\n`);
  const args = [
    "dev",
    "--ip",
    opts.ip,
    "--port",
    String(opts.port),
    "--show-interactive-dev-session=false",
    ...persist,
  ];
  if (opts.varsFile) args.push("--env-file", opts.varsFile);
  if (opts.inspectorPort !== undefined) args.push("--inspector-port", String(opts.inspectorPort));
  const child = spawnWrangler(args, { env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"] });
  forwardLines(child, io);
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
    child.on("error", () => resolve(1));
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now": don't wait for wrangler's graceful shutdown.
    child.kill(stopping ? "SIGKILL" : signal);
    stopping = true;
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const ready = await Promise.race<"ready" | "timeout" | "exited">([
      waitForHealthy(url, opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, () => stopping).then((ok) =>
        ok ? "ready" : "timeout",
      ),
      exited.then(() => "exited"),
    ]);
    if (ready === "exited") {
      if (stopping) return 0;
      throw new Error(`wrangler dev exited before the platform answered ${url}/healthz`);
    }
    if (ready === "timeout") {
      child.kill("SIGTERM");
      throw new Error(`the platform did not answer ${url}/healthz in time`);
    }
    io.stdout(readyBanner(url, vars.key));
    const code = await exited;
    return stopping ? 0 : code;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

export function readyBanner(url: string, key: string): string {
  const platformHint = url === "http://127.0.0.1:8787" ? "" : `  export TETHER_PLATFORM=${url}\n`;
  return [
    "",
    `Tether platform is running at ${url}`,
    `Admin access key (keep it secret): ${key}`,
    "",
    "Next, in another shell:",
    `${platformHint}  export TETHER_ACCESS_KEY=${key}`,
    '  npx tether cluster add staging --display-name "Staging"',
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

async function waitForHealthy(url: string, timeoutMs: number, cancelled: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function forwardLines(child: ChildProcess, io: CliIo): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) io.stderr(`[wrangler] ${line}\n`);
    });
    stream?.on("end", () => {
      if (pending) io.stderr(`[wrangler] ${pending}\n`);
    });
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15;
}
