/**
 * `tether dev` (= `npm start`): a local platform on workerd with a local D1.
 * Ensures the bootstrap admin key, applies migrations, starts the Worker,
 * waits until /healthz answers, then prints how to use it. Ctrl-C (or SIGTERM)
 * disposes the Worker, which stops workerd.
 *
 * The Worker is started through wrangler's programmatic `unstable_startWorker`
 * rather than `wrangler dev`, because the CLI always opens V8 inspectors (one
 * for wrangler, one in workerd) on loopback without authentication: any local
 * user could attach and run code in the isolate that holds ADMIN_ACCESS_KEY and
 * the D1 binding. The API lets us keep them closed unless `--inspect` asks.
 * wrangler is pinned in package.json, so the "unstable" API cannot shift under us.
 */
import { join } from "node:path";
import { checkoutRoot } from "./checkout.ts";
import type { CliIo } from "./context.ts";
import { ensureDevVars } from "./dev-vars.ts";
import { UsageError } from "./errors.ts";
import { tightenTree } from "./private-files.ts";
import { loadWrangler, runWrangler, wranglerEnv } from "./wrangler.ts";

export interface DevOptions {
  port: number;
  ip: string;
  persistTo?: string;
  /** A dotenv file with ADMIN_ACCESS_KEY to use instead of the project's .dev.vars. */
  varsFile?: string;
  /** Open the devtools inspector (off by default: it is unauthenticated). */
  inspect?: boolean;
  inspectorPort?: number;
  /** How long to wait for /healthz before giving up. */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;
const DEFAULT_PERSIST_DIR = ".wrangler/state";

export async function runDev(opts: DevOptions, io: CliIo): Promise<number> {
  if (opts.inspectorPort !== undefined && !opts.inspect) {
    throw new UsageError("--inspector-port needs --inspect (the inspector is off by default)");
  }
  const root = checkoutRoot();
  const varsPath = opts.varsFile ?? join(root, ".dev.vars");
  const persistDir = opts.persistTo ?? join(root, DEFAULT_PERSIST_DIR);
  const persist = ["--persist-to", persistDir];

  // The local D1 and Durable Object files hold hashed secrets and every cluster's
  // state; workerd and wrangler create them with the process umask, so make that
  // private, and tighten what an older run left readable.
  process.umask(0o077);
  await tightenTree(persistDir);

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
  io.stderr(`[3/3] starting the Worker (workerd, local D1) on ${url}\n`);
  if (opts.inspect) {
    io.stderr(
      `      devtools inspector ON at 127.0.0.1:${opts.inspectorPort ?? "(a free port)"}: ` +
        "unauthenticated, any local user can attach\n",
    );
  }
  // wrangler reads these from the environment; the local platform has no use for Request.cf.
  Object.assign(process.env, wranglerEnv());
  const { unstable_startWorker } = await loadWrangler();
  const worker = await unstable_startWorker({
    config: join(root, "wrangler.toml"),
    ...(opts.varsFile ? { envFiles: [opts.varsFile] } : {}),
    // Lets the Worker print connect commands with the URL it was reached on when no platformUrl
    // is configured; a deployed Worker never has it.
    bindings: { TETHER_DEV: { type: "plain_text", value: "1" } },
    dev: {
      server: { hostname: opts.ip, port: opts.port },
      inspector: opts.inspect ? { port: opts.inspectorPort } : false,
      persist: persistDir,
      watch: false,
      logLevel: "log",
    },
  });

  let stopping = false;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const stop = () => {
    // A second Ctrl-C means "now": don't wait for a graceful shutdown.
    if (stopping) process.exit(130);
    stopping = true;
    resolveStopped();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const ready = await Promise.race<"ready" | "timeout" | "stopped">([
      waitForHealthy(url, opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, () => stopping).then((ok) =>
        ok ? "ready" : "timeout",
      ),
      stopped.then(() => "stopped"),
    ]);
    if (ready === "timeout") throw new Error(`the platform did not answer ${url}/healthz in time`);
    if (ready === "ready") {
      io.stdout(readyBanner(url, vars.key));
      await stopped;
    }
    return 0;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await worker.dispose();
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
