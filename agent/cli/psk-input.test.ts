import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "./context.ts";
import { readPsk } from "./psk-input.ts";

const PSK = `tpsk_${"a".repeat(43)}`;

function io(stdin: string | null, env: Record<string, string> = {}): CliIo {
  return {
    stdout() {},
    stderr() {},
    readStdin: async () => stdin ?? "",
    stdinIsTty: stdin === null,
    env,
  };
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tether-psk-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readPsk", () => {
  it("reads --psk-file, without its trailing newline", async () => {
    const file = join(dir, "psk");
    await writeFile(file, `${PSK}\n`, { mode: 0o600 });
    expect(await readPsk({ pskFile: file }, io(null))).toBe(PSK);
  });

  it("reads stdin for --psk -", async () => {
    expect(await readPsk({ psk: "-" }, io(`${PSK}\n`))).toBe(PSK);
  });

  it("reads TETHER_PSK, and lets --psk win over it", async () => {
    expect(await readPsk({}, io(null, { TETHER_PSK: PSK }))).toBe(PSK);
    expect(await readPsk({ psk: "tpsk_other" }, io(null, { TETHER_PSK: PSK }))).toBe("tpsk_other");
    expect(await readPsk({}, io(null))).toBeUndefined();
  });

  it.each([
    [{ psk: "-" }, null, "--psk - reads the PSK from stdin; pipe it in"],
    [{ psk: "-" }, "", "stdin (--psk -) is empty; it should hold the cluster's PSK"],
    [{ psk: "-" }, `${PSK} extra`, "stdin (--psk -) must hold the PSK alone, on one line"],
    [{ psk: PSK, pskFile: "/x" }, null, "give the PSK once: --psk or --psk-file, not both"],
  ])("refuses %j with stdin %j", async (opts, stdin, message) => {
    await expect(readPsk(opts, io(stdin))).rejects.toThrow(message);
  });

  it("says why a --psk-file cannot be used", async () => {
    await expect(readPsk({ pskFile: join(dir, "missing") }, io(null))).rejects.toThrow(
      `--psk-file ${join(dir, "missing")}: cannot read it (ENOENT)`,
    );
    const empty = join(dir, "empty");
    await writeFile(empty, "\n");
    await expect(readPsk({ pskFile: empty }, io(null))).rejects.toThrow("is empty");
    const locked = join(dir, "locked");
    await writeFile(locked, PSK);
    await chmod(locked, 0o000);
    // root reads anything; only assert the refusal when the file is really unreadable.
    if (process.getuid?.() !== 0)
      await expect(readPsk({ pskFile: locked }, io(null))).rejects.toThrow("EACCES");
  });
});
