/** `tether cluster events NAME`: the cluster's history from /api/v1/clusters/NAME/events. */
import type { ListClusterEventsResponse } from "../../../protocol/api.ts";
import type { CommandContext } from "../context.ts";
import { renderEvents } from "../output.ts";
import { clusterPath } from "./cluster.ts";

export async function clusterEvents(ctx: CommandContext, name: string, opts: { limit?: number }) {
  const res = await ctx.client().json<ListClusterEventsResponse>(`${clusterPath(name)}/events`, {
    query: { limit: opts.limit },
  });
  if (ctx.json) return ctx.printJson(res);
  // The API pages newest first; a timeline reads oldest first, like kubectl's events.
  ctx.io.stdout(renderEvents([...res.items].reverse()));
}
