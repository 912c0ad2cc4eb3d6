import { chmod, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Takes group and other permissions off everything under `dir` (files 0600-ish,
 * directories 0700-ish, keeping the owner's bits). A missing `dir` is fine: the
 * first run creates it under a private umask.
 */
export async function tightenTree(dir: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, info.mode & 0o700);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    await tightenTree(join(dir, entry.name));
  }
}
