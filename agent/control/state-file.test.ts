import { chmod, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AgentState, readState, StateFileError, stateFilePath, writeState } from "./state-file.ts";

const sample: AgentState = {
  version: 1,
  platform: "http://127.0.0.1:8787",
  cluster: "staging",
  privateKey: "cHJpdmF0ZQ==",
  credential: "tac_x",
  meshIp: "100.64.0.2",
  meshPrefix: "100.64.0.0/10",
  clusterUid: "uid-1",
};

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tether-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("agent state file", () => {
  it("is absent before the first registration", async () => {
    expect(await readState(dir)).toBeNull();
  });

  it("round-trips with mode 0600 and leaves no temp files", async () => {
    await writeState(join(dir, "nested"), sample);
    const st = await stat(stateFilePath(join(dir, "nested")));
    expect(st.mode & 0o777).toBe(0o600);
    expect(await readState(join(dir, "nested"))).toEqual(sample);
    await writeState(join(dir, "nested"), { ...sample, credential: "tac_y" });
    expect((await readState(join(dir, "nested")))?.credential).toBe("tac_y");
    expect(await readdir(join(dir, "nested"))).toEqual(["agent-state.json"]);
  });

  it("tightens a loosened mode on read", async () => {
    await writeState(dir, sample);
    await chmod(stateFilePath(dir), 0o644);
    await readState(dir);
    expect((await stat(stateFilePath(dir))).mode & 0o777).toBe(0o600);
  });

  it("refuses corrupt or incomplete files with a clear message", async () => {
    await writeFile(stateFilePath(dir), "{nope", { mode: 0o600 });
    await expect(readState(dir)).rejects.toThrow(StateFileError);
    await expect(readState(dir)).rejects.toThrow(/not valid JSON/);
    await writeFile(stateFilePath(dir), JSON.stringify({ ...sample, credential: "" }), { mode: 0o600 });
    await expect(readState(dir)).rejects.toThrow(/missing fields/);
  });
});
