/**
 * Runs a command exactly as the platform printed it, in a real POSIX shell (/bin/sh), with the
 * programs it calls (helm, kubectl, tether) replaced by recorders, and returns what each would have
 * received: how the shell split and unquoted the text, and TETHER_PSK from the environment. The
 * proof that a printed command means what it should, without a cluster. Programs in one pipeline
 * run at once, so calls come back sorted by program and arguments, not in the order they ran.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RecordedCall {
  program: string;
  argv: string[];
  /** TETHER_PSK as the program saw it; null when unset. */
  tetherPsk: string | null;
}

export async function recordPrintedCommand(
  command: string,
  programs: readonly string[],
): Promise<RecordedCall[]> {
  const dir = await mkdtemp(join(tmpdir(), "tether-printed-"));
  const logs = join(dir, "calls");
  try {
    for (const program of programs) {
      // One file per call (its pid), NUL-separated: program, whether TETHER_PSK is set and its
      // value, the argument count, then each argument.
      const script = [
        "#!/bin/sh",
        `printf '%s\\0' ${program} "\${TETHER_PSK+1}" "\${TETHER_PSK-}" "$#" "$@" > '${logs}/'$$`,
        "cat > /dev/null",
        "",
      ].join("\n");
      await writeFile(join(dir, program), script);
      await chmod(join(dir, program), 0o755);
    }
    await mkdir(logs);
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        "/bin/sh",
        ["-c", command],
        { env: { PATH: `${dir}:/usr/bin:/bin` }, timeout: 10_000 },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`sh failed: ${err.message}\n${stderr}`)) : resolve(),
      );
      // The recorders drain stdin (the right side of a pipe must not fail its writer); give them an end.
      child.stdin?.end();
    });
    const calls: RecordedCall[] = [];
    for (const file of await readdir(logs)) {
      const fields = (await readFile(join(logs, file), "utf8")).split("\0");
      const [program = "", set, psk = "", count] = fields;
      calls.push({ program, argv: fields.slice(4, 4 + Number(count)), tetherPsk: set === "1" ? psk : null });
    }
    calls.sort((a, b) =>
      JSON.stringify([a.program, a.argv]).localeCompare(JSON.stringify([b.program, b.argv])),
    );
    return calls;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
