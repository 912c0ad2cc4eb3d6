/**
 * Reconnecting keeps the cluster (issue 18): an agent that lost its state cannot take its cluster
 * back with the old PSK (a second identity under the credential the first one proved is refused),
 * but after a PSK rotation the command the rotation printed, run as printed in a shell from a fresh
 * state, registers the new identity in place of the old one and the cluster comes back online.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  Cluster,
  CreateClusterResponse,
  ListClusterEventsResponse,
  RotatePskResponse,
} from "../../protocol/api.ts";
import { adminApi } from "../helpers/admin-api.ts";
import { type AgentProcess, startAgent, waitFor } from "../helpers/agent-process.ts";
import { type Platform, startPlatform, TETHER_BIN } from "../helpers/platform.ts";

let platform: Platform;
let workDir: string;
let created: CreateClusterResponse;
let first: AgentProcess | null = null;
const shells: ChildProcess[] = [];

const api = <T>(path: string, init: { method?: string; body?: unknown } = {}) =>
  adminApi<T>(platform, path, init);

/**
 * Runs a printed command in /bin/sh exactly as printed, with `tether` on PATH and HOME in a fresh
 * directory (so the agent's default state, ~/.tether, starts empty). Its own process group, so the
 * agent it starts can be stopped with the shell.
 */
async function runPrinted(command: string): Promise<{ shell: ChildProcess; output: () => string }> {
  const home = await mkdtemp(join(workDir, "home-"));
  const bin = join(home, "bin");
  await writeFile(join(home, "tether"), `#!/bin/sh\nexec "${process.execPath}" "${TETHER_BIN}" "$@"\n`);
  await chmod(join(home, "tether"), 0o755);
  const shell = spawn("/bin/sh", ["-c", command], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: `${home}:${bin}:/usr/bin:/bin`, HOME: home },
  });
  shells.push(shell);
  let output = "";
  shell.stdout?.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  shell.stderr?.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  return { shell, output: () => output };
}

function exitOf(shell: ChildProcess): Promise<number | null> {
  if (shell.exitCode !== null) return Promise.resolve(shell.exitCode);
  return new Promise((resolve) => shell.on("exit", (code) => resolve(code)));
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "tether-reconnect-e2e-"));
  platform = await startPlatform();
  const r = await api<CreateClusterResponse>("/api/v1/clusters", {
    method: "POST",
    body: { name: "edge", displayName: "Edge" },
  });
  expect(r.status).toBe(201);
  created = r.body;
}, 200_000);

afterAll(async () => {
  for (const shell of shells) {
    if (shell.exitCode === null && shell.pid !== undefined) {
      process.kill(-shell.pid, "SIGTERM");
      await exitOf(shell);
    }
  }
  await first?.stop(true);
  await platform?.stop();
  await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe("reconnecting a cluster whose agent lost its state", () => {
  it("1. the first agent registers and the cluster is online", async () => {
    first = await startAgent({ platform: platform.url, cluster: "edge", psk: created.psk });
    await waitFor(
      "edge online",
      async () => (await api<Cluster>("/api/v1/clusters/edge")).body.status.online,
      15_000,
    );
  });

  it("2. with its state wiped, the same command is refused: another identity under the PSK the first proved", async () => {
    await first?.stop(true);
    first = null;
    const { shell, output } = await runPrinted(created.connect.cli);
    expect(await exitOf(shell)).not.toBe(0);
    expect(output()).toContain("rotate its PSK to move it");
    const cluster = (await api<Cluster>("/api/v1/clusters/edge")).body;
    expect(cluster.status.reason).toBe("DuplicateCluster");
  }, 60_000);

  it("3. after a PSK rotation the printed command, run as printed from a fresh state, brings the cluster back", async () => {
    const rotated = await api<RotatePskResponse>("/api/v1/clusters/edge/rotate-psk", { method: "POST" });
    expect(rotated.status).toBe(200);
    const { output } = await runPrinted(rotated.body.connect.cli);
    const failWith = (e: Error) => {
      throw new Error(`${e.message}\n--- agent output ---\n${output()}`);
    };
    // The old agent was online a moment ago, so "online" alone proves nothing: wait for the new
    // identity's registration (it clears the old agent's values report), then for its own report.
    const rebound = await waitFor(
      "the new identity registered in place of the old one",
      async () => {
        const events = (await api<ListClusterEventsResponse>("/api/v1/clusters/edge/events")).body.items;
        return events.find((e) => e.reason === "Registered" && e.detail.rebound === true);
      },
      30_000,
    ).catch(failWith);
    expect(rebound.message).toContain("replaced the previous one");
    const cluster = await waitFor(
      "edge online with the new agent's report of its values",
      async () => {
        const c = (await api<Cluster>("/api/v1/clusters/edge")).body;
        return c.status.online &&
          c.status.values !== null &&
          Date.parse(c.status.values.reportedAt) >= Date.parse(rebound.at)
          ? c
          : null;
      },
      30_000,
    ).catch(failWith);
    expect(cluster.status).toMatchObject({ phase: "Initialized", reason: "", values: { rejected: [] } });
    expect(Date.parse(cluster.status.lastSeen ?? "")).toBeGreaterThanOrEqual(Date.parse(rebound.at));
    const reasons = (await api<ListClusterEventsResponse>("/api/v1/clusters/edge/events")).body.items.map(
      (e) => e.reason,
    );
    expect(reasons).toEqual(
      expect.arrayContaining(["Registered", "DuplicateCluster", "PSKRotated", "ValuesApplied"]),
    );
  }, 60_000);
});
