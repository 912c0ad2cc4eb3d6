import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type {
  CreateAccessKeyResponse,
  ListAccessKeysResponse,
  RotatePskResponse,
} from "../../protocol/api.ts";
import { bodyText, call, createCluster, errorOf, json, putConfig, uniqueName } from "../test/http.ts";

/** A values read with a key in ?token= (as Helm's --values URL carries it), or in a Bearer header. */
function readValues(path: string, key: string, how: "query" | "bearer" = "query"): Promise<Response> {
  if (how === "bearer") return call("GET", path, { token: key });
  const sep = path.includes("?") ? "&" : "?";
  return call("GET", `${path}${sep}token=${encodeURIComponent(key)}`, { token: null });
}

let own = "";
let other = "";
let ownKey = "";

beforeAll(async () => {
  await putConfig("agentValues:\n  logLevel: warn\n");
  own = uniqueName("cvk-own");
  other = uniqueName("cvk-other");
  const created = await createCluster({
    name: own,
    annotations: { "loft.sh/agent-values": "mtu: 1380\n" },
  });
  ownKey = created.valuesKey;
  await createCluster({ name: other });
});

describe("the cluster-values:read key that cluster add creates", () => {
  it("is shown once with the PSK, listed with its cluster and scope, and used in the connect command", async () => {
    expect(ownKey).toMatch(/^tak_[A-Za-z0-9_-]{43}$/);
    const list = await json<ListAccessKeysResponse>(await call("GET", "/api/v1/access-keys"));
    const mine = list.items.filter((k) => k.cluster === own);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ scope: "cluster-values:read", name: `connect ${own}`, disabled: false });
    const row = await env.DB.prepare("select key_hash from access_keys where cluster = ?")
      .bind(own)
      .first<{ key_hash: string }>();
    expect(row?.key_hash).toMatch(/^[0-9a-f]{64}$/); // only the hash is stored
  });

  it.each([
    [`/clusters/OWN`, "query", "logLevel: warn\nmtu: 1380\n"],
    [`/clusters/agent-values/OWN`, "query", "logLevel: warn\nmtu: 1380\n"],
    [`/clusters/OWN?source=platform-config`, "query", "logLevel: warn\n"],
    [`/clusters/OWN?source=cluster-annotation`, "query", "mtu: 1380\n"],
    [`/clusters/agent-values/OWN?source=cluster-annotation`, "query", "mtu: 1380\n"],
    [`/clusters/OWN`, "bearer", "logLevel: warn\nmtu: 1380\n"],
  ] as const)("reads its own cluster: %s (%s)", async (path, how, body) => {
    const res = await readValues(path.replace("OWN", own), ownKey, how);
    expect(res.status).toBe(200);
    expect(await bodyText(res)).toBe(body);
  });

  it.each([
    "/clusters/OTHER",
    "/clusters/agent-values/OTHER",
    "/clusters/OTHER?source=platform-config",
    "/clusters/OTHER?source=cluster-annotation",
    "/clusters/no-such-cluster",
  ])("is refused with 403 for %s, whether or not that cluster exists", async (path) => {
    const res = await readValues(path.replace("OTHER", other), ownKey);
    expect(await errorOf(res)).toEqual({
      status: 403,
      code: "insufficient_scope",
      message: `This access key may read only the values of cluster "${own}".`,
    });
  });

  it("keeps refusing another cluster after its own reads were cached, and the other way round", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await readValues(`/clusters/${own}`, ownKey)).status).toBe(200);
      expect((await readValues(`/clusters/${other}`, ownKey)).status).toBe(403);
    }
  });

  it.each([
    ["GET", "/api/v1/clusters"],
    ["GET", "/api/v1/clusters/OWN"],
    ["PATCH", "/api/v1/clusters/OWN"],
    ["POST", "/api/v1/clusters/OWN/rotate-psk"],
    ["DELETE", "/api/v1/clusters/OWN"],
    ["POST", "/api/v1/clusters"],
    ["GET", "/api/v1/config"],
    ["GET", "/api/v1/config/agent-values"],
    ["PUT", "/api/v1/config/agent-values"],
    ["GET", "/api/v1/access-keys"],
    ["POST", "/api/v1/access-keys"],
  ])("is refused with 403 on %s %s", async (method, path) => {
    const json = method === "GET" ? undefined : {};
    const res = await call(method, path.replace("OWN", own), { token: ownKey, json });
    expect(await errorOf(res)).toEqual({
      status: 403,
      code: "insufficient_scope",
      message: 'This access key has scope "cluster-values:read", which does not allow this request.',
    });
  });

  it("is not an agent credential: the agent API refuses it", async () => {
    const res = await call("GET", "/api/v1/agent/netmap", { token: ownKey });
    expect(res.status).toBe(401);
  });
});

describe("rotating the PSK", () => {
  it("revokes the cluster's earlier values keys and returns a new one that reads the cluster", async () => {
    const name = uniqueName("cvk-rot");
    const first = await createCluster({ name });
    const extra = await json<CreateAccessKeyResponse>(
      await call("POST", "/api/v1/access-keys", {
        json: { name: "by hand", scope: "cluster-values:read", cluster: name },
      }),
    );
    expect((await readValues(`/clusters/${name}`, extra.key)).status).toBe(200);
    const res = await call("POST", `/api/v1/clusters/${name}/rotate-psk`);
    expect(res.status).toBe(200);
    const rotated = await json<RotatePskResponse>(res);
    expect(rotated.valuesKey).not.toBe(first.valuesKey);
    expect(rotated.connect.helm).toContain(`token=${rotated.valuesKey}"`);
    expect((await readValues(`/clusters/${name}`, rotated.valuesKey)).status).toBe(200);
    for (const old of [first.valuesKey, extra.key]) {
      expect(await errorOf(await readValues(`/clusters/${name}`, old))).toMatchObject({
        status: 401,
        code: "invalid_credential",
      });
    }
  });
});

describe("deleting the cluster", () => {
  it("revokes its values keys, also against a new cluster of the same name", async () => {
    const name = uniqueName("cvk-del");
    const created = await createCluster({ name });
    expect((await readValues(`/clusters/${name}`, created.valuesKey)).status).toBe(200);
    expect((await call("DELETE", `/api/v1/clusters/${name}`)).status).toBe(204);
    const gone = await env.DB.prepare("select count(*) as n from access_keys where cluster = ?")
      .bind(name)
      .first<{ n: number }>();
    expect(gone?.n).toBe(0);
    expect((await readValues(`/clusters/${name}`, created.valuesKey)).status).toBe(401);
    await createCluster({ name });
    expect(await errorOf(await readValues(`/clusters/${name}`, created.valuesKey))).toMatchObject({
      status: 401,
      code: "invalid_credential",
    });
  });
});

describe("POST /api/v1/access-keys with scope cluster-values:read", () => {
  it("creates a key bound to an existing cluster", async () => {
    const res = await call("POST", "/api/v1/access-keys", {
      json: { name: "ci values", scope: "cluster-values:read", cluster: other },
    });
    expect(res.status).toBe(201);
    const body = await json<CreateAccessKeyResponse>(res);
    expect(body.accessKey).toMatchObject({ scope: "cluster-values:read", cluster: other });
    expect((await readValues(`/clusters/${other}`, body.key)).status).toBe(200);
    expect((await readValues(`/clusters/${own}`, body.key)).status).toBe(403);
  });

  it.each([
    [{ name: "x", scope: "cluster-values:read" }],
    [{ name: "x", scope: "values:read", cluster: "staging" }],
    [{ name: "x", scope: "admin", cluster: "staging" }],
    [{ name: "x", scope: "cluster-values:read", cluster: "" }],
  ])("refuses %j with 400 naming cluster", async (payload) => {
    const res = await call("POST", "/api/v1/access-keys", { json: payload });
    const body = await json<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
    expect(res.status).toBe(400);
    expect(body.error.details.issues.map((i) => i.path)).toContain("cluster");
  });

  it("refuses an unknown cluster with 404 and stores nothing", async () => {
    const res = await call("POST", "/api/v1/access-keys", {
      json: { name: "x", scope: "cluster-values:read", cluster: "no-such-cluster-here" },
    });
    expect(await errorOf(res)).toEqual({
      status: 404,
      code: "not_found",
      message: 'No cluster named "no-such-cluster-here".',
    });
    const n = await env.DB.prepare("select count(*) as n from access_keys where cluster = ?")
      .bind("no-such-cluster-here")
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it("cannot be stored without its cluster, whatever the handler does: D1's CHECK refuses it", async () => {
    const insert = env.DB.prepare(
      "insert into access_keys (id, name, scope, cluster, key_hash, created_at) values ('ak_x', 'x', 'cluster-values:read', null, 'h-x', 0)",
    );
    await expect(insert.run()).rejects.toThrow(/CHECK constraint failed/);
  });
});
