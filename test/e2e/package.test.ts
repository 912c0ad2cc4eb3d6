/**
 * The shipped program, end to end: `npm pack` builds the bundle, the tarball is installed offline into
 * an empty directory, and its `tether agent up` (the bundle, no TypeScript, no node_modules of ours)
 * connects a cluster to a real local platform, next to a hub agent run from the sources. Then the
 * health endpoint: alive and ready, a wedged (stopped) process fails /healthz, a lost platform fails
 * /readyz while /healthz stays up, and SIGTERM ends the agent with exit code 0.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_CHECKOUT_MESSAGE } from "../../agent/cli/checkout.ts";
import { HealthReportSchema } from "../../protocol/health.ts";
import { createCluster, getCluster } from "../helpers/admin-api.ts";
import { type AgentProcess, startAgent, waitFor } from "../helpers/agent-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { type InstalledPackage, packAndInstall } from "../helpers/package-install.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";

const run = promisify(execFile);
let platform: Platform;
let pkg: InstalledPackage;
let hub: AgentProcess;
let spoke: AgentProcess;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  [platform, pkg] = await Promise.all([startPlatform(), packAndInstall()]);
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true)));
  await platform?.stop();
  if (pkg) await rm(dirname(pkg.dir), { recursive: true, force: true });
}, 60_000);

async function probe(path: string): Promise<{ status: number; body: unknown } | "no answer"> {
  try {
    const res = await fetch(`http://${spoke.health}${path}`, { signal: AbortSignal.timeout(1_000) });
    return { status: res.status, body: HealthReportSchema.parse(await res.json()) };
  } catch {
    return "no answer";
  }
}

describe("the npm package", () => {
  it("packs to a tarball with the bundle and no dependencies to fetch", async () => {
    const installed = join(pkg.dir, "node_modules");
    expect((await readdir(installed)).filter((d) => !d.startsWith("."))).toEqual(["@tether-dev"]);
    const manifest = JSON.parse(
      await readFile(join(installed, "@tether-dev", "tether", "package.json"), "utf8"),
    );
    expect(manifest.name).toBe("@tether-dev/tether");
    expect(manifest.dependencies ?? {}).toEqual({});
    const files = await readdir(join(installed, "@tether-dev", "tether"), { recursive: true });
    expect(files.sort()).toEqual([
      "README.md",
      "bin",
      "bin/tether.js",
      "dist",
      "dist/tether.mjs",
      "package.json",
    ]);
  });

  it("its tether dev says it needs a checkout (no wrangler or Worker sources in the package)", async () => {
    const r = await run(pkg.bin, ["dev"], { cwd: pkg.dir }).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1 });
    expect((r as { stderr: string }).stderr).toBe(`tether: ${NO_CHECKOUT_MESSAGE}\n`);
  });

  it("its tether agent up connects a cluster to the local platform", async () => {
    const [hubPsk, spokePsk] = await Promise.all([
      createCluster(platform, "hub", true),
      createCluster(platform, "edge"),
    ]);
    const healthPort = await freePort();
    [hub, spoke] = await Promise.all([
      startAgent({ platform: platform.url, cluster: "hub", psk: hubPsk }),
      startAgent({
        platform: platform.url,
        cluster: "edge",
        psk: spokePsk,
        command: [pkg.bin],
        cwd: pkg.dir,
        args: ["--health-listen", `127.0.0.1:${healthPort}`],
        // The user's PATH: node, and nothing of this repository.
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      }),
    ]);
    agents.push(hub, spoke);
    expect(spoke.health).toBe(`127.0.0.1:${healthPort}`);
    const c = await waitFor(
      "edge online",
      async () => (await getCluster(platform, "edge")).status.online,
      15_000,
    );
    expect(c).toBe(true);
    const ping = await waitFor(
      "a ping from the hub through the tunnel to the installed agent",
      async () => {
        const r = await hub.ping({ target: "edge", count: 1, timeoutMs: 1_000 });
        return r.received === 1 ? r : null;
      },
      20_000,
    );
    expect(ping.probes[0]!.ok).toBe(true);
    expect((await getCluster(platform, "edge")).status.agentVersion).toBe("0.1.0");

    // The installed CLI as an admin and against its own running agent.
    const tether = async (...args: string[]) =>
      JSON.parse(
        (
          await run(
            pkg.bin,
            ["--platform", platform.url, "--access-key", platform.adminKey, "--json", ...args],
            {
              cwd: pkg.dir,
              env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
            },
          )
        ).stdout,
      );
    expect(await tether("cluster", "get", "edge")).toMatchObject({ name: "edge", status: { online: true } });
    const status = await tether("agent", "status", "--state", spoke.stateDir);
    expect(status.peers.map((p: { cluster: string }) => p.cluster)).toEqual(["hub"]);
  });

  it("serves /healthz and /readyz, and a stopped (wedged) process fails /healthz", async () => {
    expect(await probe("/healthz")).toMatchObject({ status: 200, body: { ok: true, check: "alive" } });
    expect(await probe("/readyz")).toMatchObject({ status: 200, body: { ok: true, registered: true } });
    // SIGSTOP freezes the whole process, as a wedged event loop would: the probe gets no answer.
    spoke.child.kill("SIGSTOP");
    try {
      expect(await probe("/healthz")).toBe("no answer");
    } finally {
      spoke.child.kill("SIGCONT");
    }
    await waitFor("alive again", async () => (await probe("/healthz")) !== "no answer", 10_000);
    expect(await probe("/healthz")).toMatchObject({ status: 200 });
  });

  it("fails /readyz once the platform is gone, while /healthz stays ok", async () => {
    await platform.stop();
    const notReady = await waitFor(
      "/readyz to fail",
      async () => {
        const r = await probe("/readyz");
        return r !== "no answer" && r.status === 503 ? r : null;
      },
      20_000,
    );
    expect(notReady.body).toMatchObject({ ok: false, check: "ready", registered: true });
    expect((notReady.body as { reason: string }).reason).toMatch(
      /^the platform last answered a heartbeat \d+ ms ago$/,
    );
    expect(await probe("/healthz")).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("stops on SIGTERM with exit code 0 and closes its health endpoint", async () => {
    spoke.child.kill("SIGTERM");
    expect(await spoke.exited).toBe(0);
    expect(await probe("/healthz")).toBe("no answer");
  });
});
