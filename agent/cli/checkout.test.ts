import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findCheckout } from "./checkout.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

describe("findCheckout", () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const d of made) await rm(d, { recursive: true, force: true });
  });

  it("finds the repository from the sources and from a bundle in dist/", () => {
    expect(findCheckout(fileURLToPath(import.meta.url))).toBe(repoRoot);
    expect(findCheckout(join(repoRoot, "dist", "tether.mjs"))).toBe(repoRoot);
  });

  it("finds nothing for an installed package (no wrangler.toml and Worker sources above it)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tether-installed-"));
    made.push(dir);
    const pkg = join(dir, "node_modules", "@tether-dev", "tether", "dist");
    await mkdir(pkg, { recursive: true });
    // A wrangler.toml alone (some other Worker project) is not a Tether checkout.
    await writeFile(join(dir, "wrangler.toml"), 'name = "other"\n');
    expect(findCheckout(join(pkg, "tether.mjs"))).toBeNull();
  });
});
