/**
 * Every failure the CLI reports ends up as a UsageError or a platform error, so `main.ts` can print
 * exactly one line and choose the exit code without inspecting messages.
 */
import { ApiError } from "../control/platform-errors.ts";

/** The user asked for something the CLI cannot do as asked (exit code 2, like commander's own errors). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** One line, no stack: what the user sees after `tether: `. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof ApiError) {
    return {
      line: `${withPosition(err.message, err.details)} (HTTP ${err.status} ${err.code})`,
      exitCode: 1,
    };
  }
  if (err instanceof UsageError) return { line: err.message, exitCode: EXIT_USAGE };
  if (err instanceof Error) return { line: oneLine(err.message), exitCode: EXIT_FAILURE };
  return { line: oneLine(String(err)), exitCode: EXIT_FAILURE };
}

// YAML errors carry their position in details; users need it in the line they read.
function withPosition(message: string, details: Record<string, unknown> | undefined): string {
  const text = oneLine(message);
  const line = details?.line;
  const column = details?.column;
  if (typeof line !== "number" || typeof column !== "number") return text;
  if (/\bline\b/i.test(text) && /\bcolumn\b/i.test(text)) return text;
  return `${text.replace(/\.$/, "")} at line ${line}, column ${column}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
