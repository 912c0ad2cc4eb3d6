import type { Bindings } from "../env.ts";
import type { LivePresence } from "./conditions.ts";
import type { ClusterRecord } from "./records.ts";

/**
 * Asks the control channel of every listed cluster whose channel is open on record whether its
 * agent is still there. Presence is computed when someone reads it, not kept fresh by timers:
 * an idle fleet costs nothing, and a read costs one Durable Object request per connected
 * cluster shown. A socket silent past the window is closed and written offline by that ask.
 */
export async function livePresence(
  env: Pick<Bindings, "CONTROL">,
  records: readonly ClusterRecord[],
): Promise<Map<string, LivePresence>> {
  const asked = records.filter((r) => r.agent?.connectedSince != null).map((r) => r.cluster.name);
  const answers = await Promise.all(
    asked.map(
      async (name) => [name, await env.CONTROL.get(env.CONTROL.idFromName(name)).presence()] as const,
    ),
  );
  return new Map(answers);
}
