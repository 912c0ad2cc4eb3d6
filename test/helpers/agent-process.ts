/**
 * A real `tether agent up` child process for end-to-end tests and benchmarks,
 * plus a client for its local socket (status, ping, the fault switches).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stateFilePath } from "../../agent/control/state-file.ts";
import type { AgentStatus } from "../../agent/daemon/agent.ts";
import type { PingReport } from "../../agent/daemon/ping.ts";
import { requestAgent } from "../../agent/daemon/status-server.ts";
import { PROJECT_ROOT, TETHER_BIN } from "./platform.ts";
import { runTether } from "./run-cli.ts";

export interface AgentProcessOptions {
  platform: string;
  cluster: string;
  psk: string;
  /**
   * How the PSK reaches the agent: TETHER_PSK in its environment (default, the documented form),
   * a --psk-file, --psk - on stdin, or --psk VALUE in argv.
   */
  pskVia?: "env" | "file" | "stdin" | "argv";
  /** Reuse a state directory (an agent restart); a fresh temp dir when omitted. */
  stateDir?: string;
  heartbeatSeconds?: number;
  env?: Record<string, string>;
  /** More `agent up` flags, e.g. ["--socks5", "127.0.0.1:0"]. */
  args?: string[];
  /** Flags for node itself, e.g. ["--cpu-prof"] (node refuses those in NODE_OPTIONS). */
  nodeArgs?: string[];
  /**
   * The `tether` program to run instead of `node bin/tether.js` (e.g. an installed package's bin or the
   * image's entrypoint in a chroot); the `agent up` arguments follow it.
   */
  command?: string[];
  /** Working directory (default: the repository). */
  cwd?: string;
  /**
   * The `--state` path as the agent sees it, when it runs in a chroot where `stateDir` is mounted
   * elsewhere; `stateDir` stays the path this process uses for the status socket.
   */
  stateArg?: string;
  /** Run the agent inside this network namespace (system tests). */
  netns?: string;
  /**
   * `--advertise` addresses; default 127.0.0.1 (loopback-only tests). `null`
   * leaves them out, so the agent offers its interface addresses (in a netns).
   */
  advertise?: string[] | null;
}

export interface AgentProcess {
  cluster: string;
  stateDir: string;
  meshIp: string;
  listenPort: number;
  child: ChildProcess;
  /** host:port of the health endpoint, when `--health-listen` was given. */
  health: string | null;
  /** Everything the agent logged so far (JSON lines on stderr). */
  log(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  status(): Promise<AgentStatus>;
  ping(body: Record<string, unknown>): Promise<PingReport>;
  blockUdp(blocked: boolean): Promise<void>;
  /** SIGTERM and wait; the state directory is kept unless `removeState`. */
  stop(removeState?: boolean): Promise<void>;
}

export async function startAgent(opts: AgentProcessOptions): Promise<AgentProcess> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), `tether-agent-${opts.cluster}-`)));
  const advertise = opts.advertise === undefined ? ["127.0.0.1"] : (opts.advertise ?? []);
  const program = opts.command ?? [process.execPath, ...(opts.nodeArgs ?? []), TETHER_BIN];
  const pskVia = opts.pskVia ?? "env";
  let pskArgs: string[] = [];
  if (pskVia === "argv") pskArgs = ["--psk", opts.psk];
  if (pskVia === "stdin") pskArgs = ["--psk", "-"];
  if (pskVia === "file") {
    const file = join(await mkdtemp(join(tmpdir(), "tether-psk-")), "psk");
    await writeFile(file, `${opts.psk}\n`, { mode: 0o600 });
    pskArgs = ["--psk-file", file];
  }
  const args = [
    ...program,
    "--platform",
    opts.platform,
    "--json",
    "agent",
    "up",
    "--cluster",
    opts.cluster,
    ...pskArgs,
    "--state",
    opts.stateArg ?? stateDir,
    "--heartbeat-interval",
    String(opts.heartbeatSeconds ?? 1),
    "--log-level",
    "debug",
    "--log-json",
    // Loopback only by default: tests never send to the host's other addresses.
    ...(advertise.length > 0 ? ["--advertise", advertise.join(",")] : []),
    ...(opts.args ?? []),
  ];
  const [cmd, ...argv] = opts.netns ? ["ip", "netns", "exec", opts.netns, ...args] : args;
  const child = spawn(cmd!, argv, {
    cwd: opts.cwd ?? PROJECT_ROOT,
    stdio: [pskVia === "stdin" ? "pipe" : "ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      TETHER_FAULT_INJECTION: "1",
      ...(pskVia === "env" ? { TETHER_PSK: opts.psk } : {}),
      ...opts.env,
    },
  });
  if (pskVia === "stdin") child.stdin?.end(`${opts.psk}\n`);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const up = await new Promise<{ meshIp: string; listenPort: number; health?: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agent ${opts.cluster} not up in 30 s:\n${stderr}`)),
      30_000,
    );
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      // `--json` prints one (pretty) JSON document once the agent is up; wait until it is whole.
      let line: string | null = null;
      try {
        JSON.parse(stdout);
        line = stdout;
      } catch {
        // Not complete yet.
      }
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { meshIp: string; listenPort: number; health?: string });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent ${opts.cluster} exited ${code} before it was up:\n${stderr}`));
    });
  });

  const call = (path: string, body?: unknown, timeoutMs?: number) =>
    requestAgent(stateDir, { method: body === undefined ? "GET" : "POST", path, body, timeoutMs });
  return {
    cluster: opts.cluster,
    stateDir,
    meshIp: up.meshIp,
    listenPort: up.listenPort,
    health: up.health ?? null,
    child,
    log: () => stderr,
    exited,
    status: async () => (await call("/status")) as AgentStatus,
    ping: async (body) => {
      const count = Number(body.count ?? 4);
      const interval = Number(body.intervalMs ?? 200);
      return (await call("/ping", body, count * interval + 15_000)) as PingReport;
    },
    blockUdp: async (blocked) => {
      await call("/fault/udp", { blocked });
    },
    stop: async (removeState = false) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const done = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
        ]);
        if (!done) child.kill("SIGKILL");
        await exited;
      }
      if (removeState) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * `tether agent forward TO` (127.0.0.1 and a free port) against a running agent, run as
 * a user would (the CLI as a child process); returns the local port it listens on.
 */
export async function agentForward(agent: Pick<AgentProcess, "stateDir">, to: string): Promise<number> {
  const r = await runTether(["--json", "agent", "forward", to, "--state", agent.stateDir]);
  if (r.code !== 0) throw new Error(`tether agent forward ${to} failed (${r.code}): ${r.stderr.trim()}`);
  return Number((JSON.parse(r.stdout) as { address: string }).address.split(":")[1]);
}

/** The agent's saved credential, read from its state file (tests use it to poke the platform directly). */
export async function agentCredential(stateDir: string): Promise<string> {
  const raw = JSON.parse(await readFile(stateFilePath(stateDir), "utf8")) as { credential: string };
  return raw.credential;
}

/** Polls `check` every 100 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
  );
}
