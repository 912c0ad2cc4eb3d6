/** `tether cluster add|list|get|delete|revoke|rotate-psk` against the platform's /api/v1/clusters. */
import type {
  Cluster,
  ConnectInstructions,
  CreateClusterRequest,
  CreateClusterResponse,
  ListClustersResponse,
  RevokeClusterResponse,
  RotatePskResponse,
} from "../../../protocol/api.ts";
import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { renderCluster, renderClusterList } from "../output.ts";

export interface AddClusterOptions {
  displayName: string;
  description?: string;
  local?: boolean;
}

export async function addCluster(ctx: CommandContext, name: string | undefined, opts: AddClusterOptions) {
  const body: CreateClusterRequest = { displayName: opts.displayName };
  if (name) body.name = name;
  if (opts.description !== undefined) body.description = opts.description;
  if (opts.local) body.local = true;
  const created = await ctx
    .client()
    .json<CreateClusterResponse>("/api/v1/clusters", { method: "POST", body });
  if (ctx.json) return ctx.printJson(created);
  const c = created.cluster;
  ctx.io.stdout(
    `Cluster "${c.name}" created (display name "${c.displayName}", mesh IP ${c.meshIp}${c.local ? ", local" : ""}).\n\n`,
  );
  ctx.io.stdout(renderSecretAndConnect(created));
}

export async function listClusters(ctx: CommandContext, opts: { limit?: number }) {
  const client = ctx.client();
  const items: Cluster[] = [];
  let cursor: string | undefined;
  // Bounded so a misbehaving server that always returns a cursor cannot loop us forever.
  for (let page = 0; page < 10_000; page++) {
    const res = await client.json<ListClustersResponse>("/api/v1/clusters", {
      query: { limit: opts.limit, cursor },
    });
    items.push(...res.items);
    if (!res.nextCursor) break;
    if (res.nextCursor === cursor) throw new Error("platform returned the same page cursor twice");
    cursor = res.nextCursor;
  }
  if (ctx.json) return ctx.printJson({ items });
  ctx.io.stdout(renderClusterList(items));
}

export async function getCluster(ctx: CommandContext, name: string) {
  const cluster = await ctx.client().json<Cluster>(clusterPath(name));
  if (ctx.json) return ctx.printJson(cluster);
  ctx.io.stdout(renderCluster(cluster));
}

export async function deleteCluster(ctx: CommandContext, name: string, opts: { yes?: boolean }) {
  const client = ctx.client();
  if (!opts.yes) {
    if (!ctx.io.stdinIsTty) {
      throw new UsageError(`refusing to delete cluster "${name}" without --yes (stdin is not a terminal)`);
    }
    ctx.io.stderr(`Delete cluster "${name}", its PSK and its agent credentials? Type the name to confirm: `);
    const answer = (await ctx.io.readStdin()).split(/\r?\n/)[0]?.trim();
    if (answer !== name) throw new UsageError("not confirmed; nothing was deleted");
  }
  await client.request(clusterPath(name), { method: "DELETE" });
  if (ctx.json) return ctx.printJson({ deleted: name });
  ctx.io.stdout(`Cluster "${name}" deleted.\n`);
}

/** Cuts the cluster's agent off and keeps the cluster; a PSK rotation is the way back. */
export async function revokeCluster(ctx: CommandContext, name: string, opts: { yes?: boolean }) {
  const client = ctx.client();
  if (!opts.yes) {
    if (!ctx.io.stdinIsTty) {
      throw new UsageError(
        `refusing to revoke cluster "${name}"'s agent without --yes (stdin is not a terminal)`,
      );
    }
    ctx.io.stderr(
      `Revoke the agent of cluster "${name}"? Its credential, PSK and values keys stop working and it is cut off now; the cluster is kept. Type the name to confirm: `,
    );
    const answer = (await ctx.io.readStdin()).split(/\r?\n/)[0]?.trim();
    if (answer !== name) throw new UsageError("not confirmed; nothing was revoked");
  }
  const cluster = await client.json<RevokeClusterResponse>(`${clusterPath(name)}/revoke`, { method: "POST" });
  if (ctx.json) return ctx.printJson(cluster);
  ctx.io.stdout(
    `The agent of cluster "${name}" is revoked: its credential, PSK and values keys no longer work, and its peers dropped it. The cluster is kept.\n` +
      `To reconnect it: tether cluster rotate-psk ${name}, then run the new connect command on the cluster.\n`,
  );
}

export async function rotatePsk(ctx: CommandContext, name: string) {
  const rotated = await ctx
    .client()
    .json<RotatePskResponse>(`${clusterPath(name)}/rotate-psk`, { method: "POST" });
  if (ctx.json) return ctx.printJson(rotated);
  ctx.io.stdout(`New PSK for cluster "${name}"; the old one no longer works.\n\n`);
  ctx.io.stdout(renderSecretAndConnect(rotated));
}

export function clusterPath(name: string): string {
  return `/api/v1/clusters/${encodeURIComponent(name)}`;
}

/** The secrets, shown once, then the ways to connect: Helm first, the same chart through kubectl, the CLI. */
function renderSecretAndConnect(secrets: {
  psk: string;
  valuesKey: string;
  connect: ConnectInstructions;
}): string {
  const { connect } = secrets;
  return [
    "Pre-shared key (shown only once; store it now, it cannot be read back). It registers agents for this cluster until you rotate it:",
    `  ${secrets.psk}`,
    "",
    "Values key (reads this cluster's agent values and nothing else; also shown only once):",
    `  ${secrets.valuesKey}`,
    "",
    "Install the agent in the cluster with Helm (the chart is served by the platform):",
    indent(connect.helm),
    "",
    "Or render the same chart and apply it with kubectl:",
    indent(connect.kubectl),
    "",
    "Or run the agent on any machine with the tether CLI:",
    indent(connect.cli),
    "",
  ].join("\n");
}

function indent(text: string): string {
  return text
    .replace(/\n+$/, "")
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
}
