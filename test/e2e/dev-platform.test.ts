/**
 * What `tether dev` leaves open to other local users: no unauthenticated V8
 * inspector unless asked for, and local D1/Durable Object files readable by the
 * owner only.
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";

/** Loopback TCP ports that processes of this process group listen on. */
function listeningPortsOfGroup(pgid: number): number[] {
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  const ports: number[] = [];
  for (const line of out.split("\n")) {
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.split(":").pop());
    for (const m of line.matchAll(/pid=(\d+)/g)) {
      const stat = readFileSyncSafe(`/proc/${m[1]}/stat`);
      // Field 5 of /proc/PID/stat is the process group; the command name (field 2) may hold spaces.
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp === pgid && Number.isInteger(port)) ports.push(port);
    }
  }
  return [...new Set(ports)];
}

function readFileSyncSafe(path: string): string {
  try {
    return execFileSync("cat", [path], { encoding: "utf8" });
  } catch {
    return "";
  }
}

/** True when the port speaks the Chrome DevTools protocol's discovery endpoint. */
async function isInspector(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/json/version`, { signal: AbortSignal.timeout(2_000) });
    const text = await res.text();
    return /"Protocol-Version"/.test(text);
  } catch {
    return false;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [dir];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe("tether dev", () => {
  const platforms: Platform[] = [];
  afterAll(async () => {
    for (const p of platforms) await p.stop();
  });

  it("opens no devtools inspector by default, and keeps its local state private", async () => {
    const platform = await startPlatform();
    platforms.push(platform);
    const res = await fetch(`${platform.url}/api/v1/clusters`, {
      method: "POST",
      headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "private-files", displayName: "Private files" }),
    });
    expect(res.status).toBe(201);

    const pgid = platform.processGroup();
    expect(pgid).toBeTypeOf("number");
    const ports = listeningPortsOfGroup(pgid as number);
    expect(ports).toContain(platform.port);
    const inspectors: number[] = [];
    for (const port of ports) if (await isInspector(port)) inspectors.push(port);
    expect(inspectors).toEqual([]);

    const loose: string[] = [];
    for (const path of await filesUnder(join(platform.persistDir, "state"))) {
      if (((await stat(path)).mode & 0o077) !== 0) loose.push(path);
    }
    expect(loose).toEqual([]);
  });

  it("opens the inspector on the port asked for with --inspect", async () => {
    const inspectorPort = await freePort();
    const platform = await startPlatform({
      devArgs: ["--inspect", "--inspector-port", String(inspectorPort)],
    });
    platforms.push(platform);
    expect(await isInspector(inspectorPort)).toBe(true);
    const log = await readFile(platform.logFile, "utf8");
    expect(log).toContain("devtools inspector ON");
  });
});
