import { chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * The agent's identity on disk: its WireGuard private key, the long-lived
 * agent credential and the mesh address. Keeping these across restarts means
 * a restarted agent is the same peer to everyone else, with no new PSK.
 *
 * The file holds secrets, so it is created 0600 from the first byte (never
 * written and then chmod-ed) and replaced atomically by rename, so a crash
 * mid-write can never leave a half file that loses the identity.
 */

export interface AgentState {
  version: 1;
  platform: string;
  cluster: string;
  /** base64 WireGuard private key. */
  privateKey: string;
  /** The agent credential (tac_…), sent as a Bearer token. */
  credential: string;
  meshIp: string;
  meshPrefix: string;
  /** A random id for this physical cluster, so the platform can refuse a second one under the same name. */
  clusterUid: string;
}

export const STATE_FILE_NAME = "agent-state.json";

export function stateFilePath(dir: string): string {
  return join(dir, STATE_FILE_NAME);
}

export class StateFileError extends Error {}

export async function readState(dir: string): Promise<AgentState | null> {
  const path = stateFilePath(dir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StateFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // Someone loosened it; tighten rather than refuse, since the agent is the owner.
    await chmod(path, 0o600);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateFileError(`${path} is not valid JSON; move it away to register again`);
  }
  // "null", a number or an array parse fine but have no fields; say so rather than "missing fields".
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new StateFileError(`${path} is not a JSON object; move it away to register again`);
  }
  if (!isAgentState(parsed)) {
    throw new StateFileError(`${path} is missing fields; move it away to register again`);
  }
  return parsed;
}

const STATE_STRING_FIELDS = [
  "platform",
  "cluster",
  "privateKey",
  "credential",
  "meshIp",
  "meshPrefix",
  "clusterUid",
] as const;

/** Whether a parsed JSON value is a whole identity, wherever it was stored (a file or a Secret). */
export function isAgentState(value: unknown): value is AgentState {
  if (value === null || typeof value !== "object") return false;
  const s = value as Partial<AgentState>;
  return s.version === 1 && STATE_STRING_FIELDS.every((k) => typeof s[k] === "string" && s[k] !== "");
}

export async function writeState(dir: string, state: AgentState): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = stateFilePath(dir);
  const tmp = join(dirname(path), `.${STATE_FILE_NAME}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
