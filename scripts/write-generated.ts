import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes a generated module only when its text changed. Several local platforms may build at once
 * (the tests start many), so the file is replaced by a rename and never seen half-written, and an
 * unchanged file is left alone so `wrangler dev` watchers see nothing to reload. True when written.
 */
export async function writeGenerated(path: string, text: string): Promise<boolean> {
  const current = await readFile(path, "utf8").catch(() => null);
  if (current === text) return false;
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
  return true;
}
