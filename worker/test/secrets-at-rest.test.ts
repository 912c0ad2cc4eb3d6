import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CreateAccessKeyResponse } from "../../protocol/api.ts";
import { hashSecret } from "../secrets.ts";
import { call, createCluster, json, registerAgent, uniqueName } from "./http.ts";

/** Every text cell of every row in `table`, joined, to search for leaked secrets. */
async function tableDump(table: string): Promise<string> {
  const { results } = await env.DB.prepare(`select * from ${table}`).all();
  return JSON.stringify(results);
}

describe("secrets at rest", () => {
  it("stores access keys, PSKs and agent credentials only as SHA-256 hashes", async () => {
    const keyRes = await call("POST", "/api/v1/access-keys", { json: { name: "rowcheck", scope: "admin" } });
    const { key, accessKey } = await json<CreateAccessKeyResponse>(keyRes);
    const created = await createCluster({ name: uniqueName("rows") });
    const rotated = await json<{ psk: string }>(
      await call("POST", `/api/v1/clusters/${created.cluster.name}/rotate-psk`),
    );
    const agent = await registerAgent(created.cluster.name, rotated.psk);

    const keyRow = await env.DB.prepare("select key_hash from access_keys where id = ?")
      .bind(accessKey.id)
      .first<{ key_hash: string }>();
    expect(keyRow?.key_hash).toBe(await hashSecret(key));
    const pskRow = await env.DB.prepare("select psk_hash from psks where cluster = ?")
      .bind(created.cluster.name)
      .first<{ psk_hash: string }>();
    expect(pskRow?.psk_hash).toBe(await hashSecret(rotated.psk));
    const agentRow = await env.DB.prepare("select credential_hash from agents where cluster = ?")
      .bind(created.cluster.name)
      .first<{ credential_hash: string }>();
    expect(agentRow?.credential_hash).toBe(await hashSecret(agent.credential));

    const everything = (
      await Promise.all(["access_keys", "psks", "agents", "clusters", "platform_config"].map(tableDump))
    ).join("\n");
    for (const secret of [key, created.psk, rotated.psk, agent.credential, env.ADMIN_ACCESS_KEY ?? "unset"]) {
      expect(everything).not.toContain(secret);
      // Nor the random part without its prefix.
      expect(everything).not.toContain(secret.slice(secret.indexOf("_") + 1));
    }
    expect(everything).not.toMatch(/t(ak|ac|psk)_[A-Za-z0-9_-]{20}/);
  });
});
