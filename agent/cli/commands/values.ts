/** `tether values get|set`: the values endpoints (docs/architecture.md, "Platform and relay"; README, "Agent values") and the two places values are written. */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  AGENT_VALUES_ANNOTATION,
  type Cluster,
  type PatchClusterRequest,
  type ValuesSource,
} from "../../../protocol/api.ts";
import type { CommandContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { clusterPath } from "./cluster.ts";

export async function getValues(ctx: CommandContext, name: string, opts: { source?: string }) {
  const source = parseSource(opts.source);
  const res = await ctx.client().request(`/clusters/${encodeURIComponent(name)}`, {
    accept: "application/yaml",
    query: { source },
  });
  if (ctx.json) return ctx.printJson(parseYaml(res.text) ?? {});
  ctx.io.stdout(res.text);
}

/**
 * Without NAME: replaces the platform config's agentValues. With NAME: sets the
 * cluster's agent-values annotation. Empty input clears what it targets.
 */
export async function setValues(ctx: CommandContext, name: string | undefined, opts: { file?: string }) {
  const client = ctx.client();
  const text = await readInput(ctx, opts.file);
  const empty = text.trim() === "";
  if (name === undefined) {
    const res = await client.json<unknown>("/api/v1/config/agent-values", {
      method: "PUT",
      body: empty ? "{}\n" : text,
      contentType: "application/yaml",
    });
    if (ctx.json) return ctx.printJson(res);
    ctx.io.stdout(empty ? "Platform agentValues cleared.\n" : "Platform agentValues updated.\n");
    return;
  }
  const patch: PatchClusterRequest = { annotations: { [AGENT_VALUES_ANNOTATION]: empty ? null : text } };
  const cluster = await client.json<Cluster>(clusterPath(name), { method: "PATCH", body: patch });
  if (ctx.json) return ctx.printJson(cluster);
  ctx.io.stdout(
    empty
      ? `Removed the ${AGENT_VALUES_ANNOTATION} annotation from cluster "${name}".\n`
      : `Set the ${AGENT_VALUES_ANNOTATION} annotation on cluster "${name}".\n`,
  );
}

const VALUES_SOURCES: readonly ValuesSource[] = ["platform-config", "cluster-annotation"];

function parseSource(source: string | undefined): ValuesSource | undefined {
  if (source === undefined) return undefined;
  const known = VALUES_SOURCES.find((s) => s === source);
  if (known) return known;
  throw new UsageError(`unknown --source "${source}"; use one of: ${VALUES_SOURCES.join(", ")}`);
}

async function readInput(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file !== undefined && file !== "-") {
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new UsageError(`cannot read --file ${file}: ${code}`);
    }
  }
  if (ctx.io.stdinIsTty && file === undefined) {
    throw new UsageError("no values given: pass --file FILE or pipe YAML on stdin");
  }
  return ctx.io.readStdin();
}
