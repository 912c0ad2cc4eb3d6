import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const buildScript = fileURLToPath(new URL("../tools/build.sh", import.meta.url));

/**
 * The directory holding the binaries of the Go test tool test/tools/NAME, built (once, into the
 * cache outside the repository) by test/tools/build.sh. A first build can take minutes, so tests
 * call this from a hook with a long timeout.
 */
export function goToolBin(name: string): string {
  const out = execFileSync("bash", [buildScript, name], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1024 * 1024,
  });
  const lines = out.trim().split("\n");
  const dir = lines[lines.length - 1];
  if (!dir) throw new Error(`test/tools/build.sh ${name} printed no directory`);
  return dir;
}

/** The path of one binary of the Go test tool test/tools/NAME. */
export function goTool(name: string, binary: string): string {
  return join(goToolBin(name), binary);
}
