// `agent up` with the PSK kept out of argv (issue #9): a real platform, real agent processes, and
// the process's own /proc/PID/cmdline checked for the PSK.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { type AgentProcess, startAgent } from "../helpers/agent-process.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";

let platform: Platform;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  platform = await startPlatform();
}, 200_000);

afterAll(async () => {
  for (const a of agents) await a.stop(true);
  await platform?.stop();
}, 60_000);

async function createCluster(name: string): Promise<CreateClusterResponse> {
  const res = await fetch(`${platform.url}/api/v1/clusters`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name, displayName: name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as CreateClusterResponse;
}

describe("agent up reads the PSK without putting it in argv", () => {
  it.each(["file", "stdin", "env"] as const)(
    "--psk via %s registers, and cmdline never holds it",
    async (via) => {
      const created = await createCluster(`psk-${via}`);
      const agent = await startAgent({
        platform: platform.url,
        cluster: created.cluster.name,
        psk: created.psk,
        pskVia: via,
      });
      agents.push(agent);
      expect(agent.meshIp).toBe(created.cluster.meshIp);
      const cmdline = await readFile(`/proc/${agent.child.pid}/cmdline`, "utf8");
      expect(cmdline).toContain("agent\0up");
      expect(cmdline).not.toContain(created.psk);
    },
    60_000,
  );

  it("an unreadable --psk-file is one clear usage error", async () => {
    const r = await runTether([
      "--platform",
      platform.url,
      "agent",
      "up",
      "--cluster",
      "psk-file",
      "--psk-file",
      "/nonexistent/psk",
      "--state",
      "/nonexistent/state",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--psk-file /nonexistent/psk: cannot read it (ENOENT)");
  }, 60_000);
});
