/** `tether key list|create|revoke` against the platform's /api/v1/access-keys. */
import type {
  AccessKey,
  AccessKeyScope,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  ListAccessKeysResponse,
} from "../../../protocol/api.ts";
import type { CommandContext } from "../context.ts";
import { parseDurationSeconds } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { renderKeyList } from "../output.ts";

export interface CreateKeyOptions {
  scope: AccessKeyScope;
  cluster?: string;
  expiresIn?: string;
}

export async function listKeys(ctx: CommandContext) {
  const res = await ctx.client().json<ListAccessKeysResponse>("/api/v1/access-keys");
  if (ctx.json) return ctx.printJson(res);
  ctx.io.stdout(renderKeyList(res.items));
}

export async function createKey(ctx: CommandContext, name: string, opts: CreateKeyOptions) {
  const body: CreateAccessKeyRequest = { name, scope: opts.scope };
  if (opts.cluster !== undefined) body.cluster = opts.cluster;
  if (opts.expiresIn !== undefined) {
    const seconds = parseDurationSeconds(opts.expiresIn);
    if (seconds === null) {
      throw new UsageError(
        `--expires-in "${opts.expiresIn}" is not a duration like 90s, 45m, 12h, 30d or 2w`,
      );
    }
    body.expiresInSeconds = seconds;
  }
  const created = await ctx
    .client()
    .json<CreateAccessKeyResponse>("/api/v1/access-keys", { method: "POST", body });
  if (ctx.json) return ctx.printJson(created);
  const k = created.accessKey;
  const bound = k.cluster === null ? "" : ` for cluster "${k.cluster}"`;
  const expiry = k.expiresAt === null ? "never expires" : `expires ${k.expiresAt}`;
  ctx.io.stdout(
    [
      `Access key "${k.name}" (id ${k.id}, scope ${k.scope}${bound}; ${expiry}).`,
      "The key (shown only once; store it now, it cannot be read back):",
      `  ${created.key}`,
      "",
    ].join("\n"),
  );
}

/** By id, or by name when exactly one key that is not revoked carries it. */
export async function revokeKey(ctx: CommandContext, idOrName: string) {
  const client = ctx.client();
  const { items } = await client.json<ListAccessKeysResponse>("/api/v1/access-keys");
  const key = pickKey(items, idOrName);
  await client.request(`/api/v1/access-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
  if (ctx.json) return ctx.printJson({ revoked: key.id, name: key.name });
  ctx.io.stdout(`Access key "${key.name}" (id ${key.id}) revoked; it is refused from now on.\n`);
}

function pickKey(items: readonly AccessKey[], idOrName: string): AccessKey {
  const byId = items.find((k) => k.id === idOrName);
  if (byId !== undefined) return byId;
  const named = items.filter((k) => k.name === idOrName && !k.disabled);
  if (named.length === 1 && named[0] !== undefined) return named[0];
  if (named.length === 0) throw new UsageError(`no access key with the id or name "${idOrName}"`);
  const ids = named.map((k) => k.id).join(", ");
  throw new UsageError(`${named.length} access keys are named "${idOrName}"; revoke one by id: ${ids}`);
}
