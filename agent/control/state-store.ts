/**
 * Where the agent keeps its identity (private key, credential, mesh IP). A
 * file by default; Kubernetes mode keeps it in a Secret instead, so a
 * rescheduled pod is still the same peer.
 */
import { type AgentState, readState, stateFilePath, writeState } from "./state-file.ts";

export type { AgentState } from "./state-file.ts";

export interface StateStore {
  /** For logs and errors: "file /path/agent-state.json" or "secret ns/name". */
  readonly description: string;
  load(): Promise<AgentState | null>;
  save(state: AgentState): Promise<void>;
}

/** The identity in `dir/agent-state.json` (mode 0600, replaced atomically). */
export function fileStateStore(dir: string): StateStore {
  return {
    description: `file ${stateFilePath(dir)}`,
    load: () => readState(dir),
    save: (state) => writeState(dir, state),
  };
}
