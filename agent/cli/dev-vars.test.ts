import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDevVars, generateAccessKey, readDotenvValue } from "./dev-vars.ts";

const KEY_SHAPE = /^tak_[A-Za-z0-9_-]{43}$/;

describe("generateAccessKey", () => {
  it("has the platform's access-key shape and decodes to 32 bytes", () => {
    const key = generateAccessKey();
    expect(key).toMatch(KEY_SHAPE);
    expect(Buffer.from(key.slice(4), "base64url")).toHaveLength(32);
  });

  it("differs every time", () => {
    expect(generateAccessKey()).not.toBe(generateAccessKey());
  });
});

describe("readDotenvValue", () => {
  it("reads plain, quoted, exported and commented forms", () => {
    const text = [
      "# comment",
      "OTHER=1",
      'QUOTED="a b # not a comment"',
      "export EXPORTED=yes",
      "PLAIN=value # trailing comment",
    ].join("\n");
    expect(readDotenvValue(text, "QUOTED")).toBe("a b # not a comment");
    expect(readDotenvValue(text, "EXPORTED")).toBe("yes");
    expect(readDotenvValue(text, "PLAIN")).toBe("value");
    expect(readDotenvValue(text, "MISSING")).toBeUndefined();
  });
});

describe("ensureDevVars", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tether-devvars-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates a missing file with mode 0600 and a fresh key", async () => {
    const path = join(dir, ".dev.vars");
    const result = await ensureDevVars(path);
    expect(result.created).toBe(true);
    expect(result.key).toMatch(KEY_SHAPE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(readDotenvValue(await readFile(path, "utf8"), "ADMIN_ACCESS_KEY")).toBe(result.key);
  });

  it("keeps an existing key and does not rewrite the file", async () => {
    const path = join(dir, ".dev.vars");
    await writeFile(path, "ADMIN_ACCESS_KEY=tak_mine\nOTHER=x\n", { mode: 0o644 });
    const result = await ensureDevVars(path);
    expect(result).toEqual({ key: "tak_mine", created: false });
    expect(await readFile(path, "utf8")).toBe("ADMIN_ACCESS_KEY=tak_mine\nOTHER=x\n");
  });

  it("adds the key to a file that lacks it, keeps other lines, and tightens the mode", async () => {
    const path = join(dir, ".dev.vars");
    await writeFile(path, "OTHER=x\nADMIN_ACCESS_KEY=\n", { mode: 0o644 });
    const result = await ensureDevVars(path);
    expect(result.created).toBe(true);
    const text = await readFile(path, "utf8");
    expect(text.startsWith("OTHER=x\n")).toBe(true);
    expect(text.match(/ADMIN_ACCESS_KEY=/g)).toHaveLength(1);
    expect(readDotenvValue(text, "ADMIN_ACCESS_KEY")).toBe(result.key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("is stable across calls", async () => {
    const path = join(dir, ".dev.vars");
    const first = await ensureDevVars(path);
    const second = await ensureDevVars(path);
    expect(second).toEqual({ key: first.key, created: false });
  });
});
