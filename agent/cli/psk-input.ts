/**
 * Where `agent up` reads the PSK from. A PSK on the command line is readable by every local user
 * in /proc/PID/cmdline, so the forms that keep it out of argv come first in the docs:
 * TETHER_PSK in the environment, --psk-file PATH, and --psk - (stdin). --psk VALUE still works.
 */
import { readFile } from "node:fs/promises";
import type { CliIo } from "./context.ts";
import { UsageError } from "./errors.ts";

export interface PskOptions {
  psk?: string;
  pskFile?: string;
}

/** One line of text: surrounding whitespace (the newline an editor or echo adds) is not part of it. */
function oneLine(text: string, from: string): string {
  const psk = text.trim();
  if (psk === "") throw new UsageError(`${from} is empty; it should hold the cluster's PSK`);
  if (/\s/.test(psk)) throw new UsageError(`${from} must hold the PSK alone, on one line`);
  return psk;
}

/** The PSK, or undefined when none was given (an agent with a saved identity needs none). */
export async function readPsk(opts: PskOptions, io: CliIo): Promise<string | undefined> {
  if (opts.psk !== undefined && opts.pskFile !== undefined) {
    throw new UsageError("give the PSK once: --psk or --psk-file, not both");
  }
  if (opts.pskFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.pskFile, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`--psk-file ${opts.pskFile}: cannot read it (${code})`);
    }
    return oneLine(text, `--psk-file ${opts.pskFile}`);
  }
  if (opts.psk === "-") {
    if (io.stdinIsTty) throw new UsageError("--psk - reads the PSK from stdin; pipe it in");
    return oneLine(await io.readStdin(), "stdin (--psk -)");
  }
  return opts.psk ?? (io.env.TETHER_PSK === undefined ? undefined : oneLine(io.env.TETHER_PSK, "TETHER_PSK"));
}
