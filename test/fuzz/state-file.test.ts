// Fuzzing the agent's state file parser: whatever is in the file, readState either returns a
// state with every required field a non-empty string, or throws StateFileError with a message
// that tells the user what to do; nothing else escapes.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readState, StateFileError, stateFilePath } from "../../agent/control/state-file.ts";
import { fuzzRuns, fuzzTimeoutMs } from "./fuzz-runs.ts";

const FIELDS = ["platform", "cluster", "privateKey", "credential", "meshIp", "meshPrefix", "clusterUid"];

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tether-fuzz-state-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("agent state file", () => {
  it(
    "returns a complete state or throws StateFileError, for any content",
    async () => {
      const nearState = fc.record(
        {
          version: fc.oneof(fc.constant(1), fc.anything()),
          ...Object.fromEntries(FIELDS.map((f) => [f, fc.oneof(fc.string({ minLength: 1 }), fc.anything())])),
        },
        { requiredKeys: [] },
      );
      const content = fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        nearState.map((v) => JSON.stringify(v)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
      );
      await fc.assert(
        fc.asyncProperty(content, async (text) => {
          await writeFile(stateFilePath(dir), text ?? "", { mode: 0o600 });
          try {
            const state = await readState(dir);
            expect(state).not.toBeNull();
            expect(state?.version).toBe(1);
            for (const f of FIELDS) {
              const v = (state as unknown as Record<string, unknown>)[f];
              expect(typeof v === "string" && v !== "").toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(StateFileError);
            expect((err as Error).message).toMatch(/register again|cannot read/);
          }
        }),
        { numRuns: fuzzRuns(100) },
      );
    },
    fuzzTimeoutMs(),
  );
});
