/**
 * The local bootstrap secret. `tether dev` needs an admin access key that the
 * local Worker accepts; wrangler reads it from `.dev.vars`. We create the file
 * (or add the key to it) only when the key is missing, so a developer's own
 * key survives restarts.
 */
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";

export const ADMIN_KEY_VAR = "ADMIN_ACCESS_KEY";

/** `tak_` + base64url of 32 random bytes (43 characters): the platform's access-key shape. */
export function generateAccessKey(): string {
  return `tak_${randomBytes(32).toString("base64url")}`;
}

/** Reads one variable from dotenv text; handles `export`, quotes and comments. */
export function readDotenvValue(text: string, name: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!match || match[1] !== name) continue;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    return value;
  }
  return undefined;
}

export interface DevVarsResult {
  key: string;
  /** True when this call wrote the key (the file was missing or lacked it). */
  created: boolean;
}

/** Makes sure `path` holds a non-empty ADMIN_ACCESS_KEY; the file ends up mode 0600 whenever we write it. */
export async function ensureDevVars(path: string): Promise<DevVarsResult> {
  let existing: string | undefined;
  try {
    existing = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const current = existing === undefined ? undefined : readDotenvValue(existing, ADMIN_KEY_VAR);
  if (current) return { key: current, created: false };

  const key = generateAccessKey();
  const line = `${ADMIN_KEY_VAR}=${key}\n`;
  if (existing === undefined) {
    await writeFile(path, `# Local admin access key for \`tether dev\` (keep secret).\n${line}`, {
      mode: 0o600,
      flag: "wx",
    });
  } else {
    // An empty ADMIN_ACCESS_KEY= line would shadow ours in some dotenv readers; drop it first.
    const kept = existing
      .split(/\r?\n/)
      .filter((l) => !new RegExp(`^\\s*(?:export\\s+)?${ADMIN_KEY_VAR}\\s*=`).test(l))
      .join("\n");
    const prefix = kept.length === 0 || kept.endsWith("\n") ? kept : `${kept}\n`;
    await writeFile(path, `${prefix}${line}`, { mode: 0o600 });
  }
  // writeFile's mode only applies on creation and is masked by umask; make it exact.
  await chmod(path, 0o600);
  return { key, created: true };
}
