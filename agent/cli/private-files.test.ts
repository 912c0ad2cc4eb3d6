import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tightenTree } from "./private-files.ts";

describe("tightenTree", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("takes group and other bits off files and directories, keeping the owner's", async () => {
    const root = await mkdtemp(join(tmpdir(), "tighten-"));
    dirs.push(root);
    await mkdir(join(root, "v3", "d1"), { recursive: true, mode: 0o755 });
    await writeFile(join(root, "v3", "d1", "db.sqlite"), "x", { mode: 0o644 });
    await writeFile(join(root, "run.sh"), "x", { mode: 0o755 });
    await symlink("/etc/hostname", join(root, "link"));
    await tightenTree(root);
    expect((await stat(join(root, "v3"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, "v3", "d1"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, "v3", "d1", "db.sqlite"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, "run.sh"))).mode & 0o777).toBe(0o700);
    // A symlink's target is not ours to change.
    expect((await stat("/etc/hostname")).mode & 0o077).not.toBe(0);
  });

  it("accepts a directory that does not exist yet", async () => {
    await expect(tightenTree(join(tmpdir(), "tether-no-such-dir-x"))).resolves.toBeUndefined();
  });
});
