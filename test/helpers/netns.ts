/**
 * Network-namespace harness for system tests. Everything it creates is uniquely
 * named ("tt-" + random) and torn down by cleanup(), which also runs from process
 * exit and signal handlers so a crashed run does not leave namespaces behind.
 * Traffic stays between namespaces this harness created: nothing is routed out.
 */
import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Netns {
  readonly name: string;
  /** Runs a command inside the namespace and waits for it. Never throws on a non-zero exit. */
  exec(cmd: string, args: string[], timeoutMs?: number): Promise<ExecResult>;
  /** Like exec, but throws with stderr when the command fails. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<string>;
  /** Starts a long-running child inside the namespace; it is killed by cleanup(). */
  spawn(cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
}

const live = new Set<NetnsLab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    for (const lab of live) lab.cleanupSync();
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      for (const lab of live) lab.cleanupSync();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

export class NetnsLab {
  /** Short random tag shared by every name this lab makes (interface names max out at 15 chars). */
  readonly tag = randomBytes(3).toString("hex");
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly extraFiles: string[] = [];
  private links = 0;

  constructor() {
    installExitHandlers();
    live.add(this);
  }

  /** A name unique to this lab, for interfaces and sockets: e.g. ifname("wg") -> "wg3fa9c1". */
  ifname(prefix: string): string {
    const name = `${prefix}${this.tag}`;
    if (name.length > 15) throw new Error(`interface name too long: ${name}`);
    return name;
  }

  async createNamespace(role: string): Promise<Netns> {
    const name = `tt-${this.tag}-${role}`;
    await execFileAsync("ip", ["netns", "add", name]);
    this.namespaces.push(name);
    const ns = this.wrap(name);
    await ns.run("ip", ["link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair between two namespaces of this lab, addressed and up. */
  async connect(a: Netns, addrA: string, b: Netns, addrB: string): Promise<{ ifA: string; ifB: string }> {
    // Numbered per link, not per namespace: one namespace may have several links.
    const link = this.links++;
    const ifA = this.ifname(`va${link}`);
    const ifB = this.ifname(`vb${link}`);
    await a.run("ip", ["link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", b.name]);
    await a.run("ip", ["addr", "add", addrA, "dev", ifA]);
    await b.run("ip", ["addr", "add", addrB, "dev", ifB]);
    await a.run("ip", ["link", "set", ifA, "up"]);
    await b.run("ip", ["link", "set", ifB, "up"]);
    return { ifA, ifB };
  }

  /** Removes this file during cleanup (e.g. a stale UAPI socket of a killed wireguard-go). */
  removeOnCleanup(path: string): void {
    this.extraFiles.push(path);
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((c) => stopChild(c)));
    this.children.clear();
    this.cleanupSync();
  }

  /** Synchronous so it can run from process "exit" handlers. */
  cleanupSync(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    }
    this.children.clear();
    for (const name of this.namespaces.splice(0)) {
      try {
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      } catch {
        // Already gone; nothing to do.
      }
    }
    for (const f of this.extraFiles.splice(0)) rmSync(f, { force: true });
    live.delete(this);
  }

  private wrap(name: string): Netns {
    const children = this.children;
    const exec = (cmd: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> =>
      runCommand("ip", ["netns", "exec", name, cmd, ...args], timeoutMs);
    return {
      name,
      exec,
      async run(cmd, args, timeoutMs) {
        const r = await exec(cmd, args, timeoutMs);
        if (r.code !== 0)
          throw new Error(`[${name}] ${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
        return r.stdout;
      },
      spawn(cmd, args, options = {}) {
        const child = spawn("ip", ["netns", "exec", name, cmd, ...args], { stdio: "pipe", ...options });
        children.add(child);
        child.once("exit", () => children.delete(child));
        return child;
      },
    };
  }
}

/** SIGTERM, then SIGKILL if the child has not exited after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns a value other than undefined/false, with a bounded number of tries. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { tries = 100, intervalMs = 200 }: { tries?: number; intervalMs?: number } = {},
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Runs a command to completion (in the current namespace); a failure is an exit code, never a throw. */
export async function runCommand(cmd: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return {
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? String(err),
      code: typeof e.code === "number" ? e.code : -1,
    };
  }
}
