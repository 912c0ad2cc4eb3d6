/** Process entry for `bin/tether.js`: wires the CLI to the real process and sets the exit code. */
import { runCli } from "./program.ts";
import { terminalSafe } from "./terminal-safe.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await runCli(process.argv.slice(2), {
  // Everything printed may carry text from the platform or from agents; see terminal-safe.ts.
  stdout: (text) => process.stdout.write(terminalSafe(text)),
  stderr: (text) => process.stderr.write(terminalSafe(text)),
  readStdin,
  stdinIsTty: process.stdin.isTTY === true,
  env: process.env,
});
