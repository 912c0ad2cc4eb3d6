import { and, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import {
  RELAY_PEER_HEADER,
  RELAY_PLACEMENT_HEADER,
  RELAY_SIDE_HEADER,
} from "../../durable-objects/pair-relay.ts";
import { pairName } from "../../protocol/relay.ts";
import { agents, clusters } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { requireAgent } from "../middleware/auth/agent-credential.ts";
import { isDns1123Label } from "../names.ts";
import { locationFromCf, pairPlacement, recordAgentLocation } from "../relay/placement-store.ts";
import { relayNamespace } from "../relay/relay-namespace.ts";
import { loadConfig } from "../values/platform-config.ts";

/**
 * `GET /relay/<peer-cluster>`: the only way into a pair's Durable Object.
 *
 * The Worker does all the checking (agent credential, the peer exists and has
 * a live agent, the peering policy pairs the two) so the object itself can
 * stay a dumb, unread forwarder. The side and peer names it trusts come from
 * headers this route sets on a fresh request; nothing the client sent is
 * passed through, so a client cannot claim to be another side.
 */
export const relayRoutes = new Hono<AppEnv>().get("/:peer", requireAgent(), async (c) => {
  const self = c.var.agent.cluster;
  const peer = c.req.param("peer");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(
      426,
      "upgrade_required",
      "The relay speaks WebSocket only (Upgrade: websocket).",
      undefined,
      {
        upgrade: "websocket",
      },
    );
  }
  if (!isDns1123Label(peer)) {
    throw new HttpError(400, "invalid_peer", "The peer must be a cluster name (a DNS-1123 label).");
  }
  if (peer === self) throw new HttpError(400, "invalid_peer", "An agent cannot relay to its own cluster.");

  const [rows, config] = await Promise.all([
    c.var.db
      .select({ name: clusters.name, local: clusters.local })
      .from(clusters)
      .innerJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)))
      .where(inArray(clusters.name, [self, peer])),
    loadConfig(c.var.db),
  ]);
  const me = rows.find((r) => r.name === self);
  const them = rows.find((r) => r.name === peer);
  if (me === undefined) throw new HttpError(401, "invalid_credential", "This agent is no longer registered.");
  if (them === undefined) {
    throw new HttpError(
      404,
      "peer_not_found",
      `Cluster "${peer}" does not exist or has no registered agent.`,
    );
  }
  if (config.peering !== "mesh" && !me.local && !them.local) {
    throw new HttpError(
      403,
      "not_peered",
      `The peering policy "${config.peering}" does not pair "${self}" with "${peer}".`,
    );
  }

  // Placement: where this agent connects from, then the pair's recorded hint (decided on the
  // first connection from both agents' last known locations). A hint only counts when the
  // object is created; `relay.jurisdiction` names a different object, inside the jurisdiction.
  const now = Date.now();
  const here = locationFromCf(c.req.raw.cf);
  if (here) await recordAgentLocation(c.var.db, self, here, now);
  const placement = await pairPlacement(c.var.db, self, peer, config.relayJurisdiction, now);
  const namespace = relayNamespace(c.env.RELAY, placement.jurisdiction);
  const stub = namespace.get(
    namespace.idFromName(pairName(self, peer)),
    placement.locationHint ? { locationHint: placement.locationHint } : undefined,
  );

  const headers = new Headers({ upgrade: "websocket" });
  headers.set(RELAY_SIDE_HEADER, self);
  headers.set(RELAY_PEER_HEADER, peer);
  headers.set(RELAY_PLACEMENT_HEADER, JSON.stringify(placement));
  return stub.fetch(new Request("https://relay.internal/connect", { headers }));
});
