import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Cluster } from "../../protocol/api.ts";
import {
  adminKey,
  bodyText,
  call,
  callAndSettle,
  createAccessKey,
  createCluster,
  errorOf,
  json,
  putConfig,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";
import { helmMerge, type ValuesMap } from "../values/helm-merge.ts";

const ANNOTATION = "loft.sh/agent-values";
let readKey = "";

beforeAll(async () => {
  readKey = await createAccessKey("values:read");
});
afterEach(() => putConfig("agentValues: {}\n"));

type Auth = "query-read" | "bearer-read" | "query-admin" | "bearer-admin";
type Form = "current" | "older";

interface ValuesCase {
  name: string;
  config: string;
  annotation?: string;
  source?: string;
  form?: Form;
  auth?: Auth;
  expected: ValuesMap;
}

async function getValues(
  cluster: string,
  options: { source?: string; form?: Form; auth?: Auth },
): Promise<Response> {
  const auth = options.auth ?? "query-read";
  const token = auth.endsWith("admin") ? adminKey() : readKey;
  const params = new URLSearchParams();
  if (auth.startsWith("query")) params.set("token", token);
  if (options.source !== undefined) params.set("source", options.source);
  const path = options.form === "older" ? `/clusters/agent-values/${cluster}` : `/clusters/${cluster}`;
  const query = params.size > 0 ? `?${params}` : "";
  return call("GET", `${path}${query}`, { token: auth.startsWith("bearer") ? token : null });
}

const platformAndAgent =
  "agentValues:\n  logLevel: warn\n  mtu: 1420\n  relay:\n    mode: auto\n    url: wss://r\n  stunServers: [a:1, b:1]\nlogLevel: info\nreplicas: 3\n";
const platformOnly = "agentValues: {}\nlogLevel: info\nrelay:\n  mode: auto\n";

describe("values endpoints: effective values and their sources", () => {
  it.each<ValuesCase>([
    {
      name: "inherits the platform values when agentValues is {}",
      config: platformOnly,
      expected: { logLevel: "info", relay: { mode: "auto" } },
    },
    { name: "inherits when agentValues is absent", config: "keepalive: 25\n", expected: { keepalive: 25 } },
    {
      name: "inherits when agentValues is null",
      config: "agentValues:\nkeepalive: 25\n",
      expected: { keepalive: 25 },
    },
    {
      name: "a non-empty agentValues overrides globally",
      config: platformAndAgent,
      expected: {
        logLevel: "warn",
        mtu: 1420,
        relay: { mode: "auto", url: "wss://r" },
        stunServers: ["a:1", "b:1"],
      },
    },
    {
      name: "the annotation layers on top",
      config: platformAndAgent,
      annotation: "mtu: 1280\n",
      expected: {
        logLevel: "warn",
        mtu: 1280,
        relay: { mode: "auto", url: "wss://r" },
        stunServers: ["a:1", "b:1"],
      },
    },
    {
      name: "the annotation layers on inherited platform values too",
      config: platformOnly,
      annotation: "logLevel: debug\n",
      expected: { logLevel: "debug", relay: { mode: "auto" } },
    },
    {
      name: "nested maps merge",
      config: platformAndAgent,
      annotation: "relay:\n  mode: always\n",
      expected: {
        logLevel: "warn",
        mtu: 1420,
        relay: { mode: "always", url: "wss://r" },
        stunServers: ["a:1", "b:1"],
      },
    },
    {
      name: "lists are replaced whole",
      config: platformAndAgent,
      annotation: 'stunServers: ["c:1"]\n',
      expected: {
        logLevel: "warn",
        mtu: 1420,
        relay: { mode: "auto", url: "wss://r" },
        stunServers: ["c:1"],
      },
    },
    {
      name: "null deletes a key",
      config: platformAndAgent,
      annotation: "mtu: null\nrelay:\n  url: null\n",
      expected: { logLevel: "warn", relay: { mode: "auto" }, stunServers: ["a:1", "b:1"] },
    },
    {
      name: "source=platform-config is the agentValues section",
      config: platformAndAgent,
      annotation: "mtu: 1280\n",
      source: "platform-config",
      expected: {
        logLevel: "warn",
        mtu: 1420,
        relay: { mode: "auto", url: "wss://r" },
        stunServers: ["a:1", "b:1"],
      },
    },
    {
      name: "source=platform-config is {} while agentValues is empty",
      config: platformOnly,
      source: "platform-config",
      expected: {},
    },
    {
      name: "source=cluster-annotation is the annotation",
      config: platformAndAgent,
      annotation: "mtu: 1280\nrelay:\n  url: null\n",
      source: "cluster-annotation",
      expected: { mtu: 1280, relay: { url: null } },
    },
    {
      name: "source=cluster-annotation is {} without one",
      config: platformAndAgent,
      source: "cluster-annotation",
      expected: {},
    },
    {
      name: "the older URL form serves effective values",
      config: platformAndAgent,
      annotation: "mtu: 1000\n",
      form: "older",
      expected: {
        logLevel: "warn",
        mtu: 1000,
        relay: { mode: "auto", url: "wss://r" },
        stunServers: ["a:1", "b:1"],
      },
    },
    {
      name: "the older URL form accepts source=",
      config: platformAndAgent,
      annotation: "mtu: 1000\n",
      form: "older",
      source: "cluster-annotation",
      expected: { mtu: 1000 },
    },
    {
      name: "a Bearer values:read key works",
      config: platformOnly,
      auth: "bearer-read",
      expected: { logLevel: "info", relay: { mode: "auto" } },
    },
    {
      name: "?token= with an admin key works",
      config: platformOnly,
      auth: "query-admin",
      expected: { logLevel: "info", relay: { mode: "auto" } },
    },
    {
      name: "a Bearer admin key works",
      config: platformOnly,
      auth: "bearer-admin",
      expected: { logLevel: "info", relay: { mode: "auto" } },
    },
  ])("$name", async (c) => {
    await putConfig(c.config);
    const created = await createCluster({
      name: uniqueName("vals"),
      ...(c.annotation === undefined ? {} : { annotations: { [ANNOTATION]: c.annotation } }),
    });
    const res = await getValues(created.cluster.name, c);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/yaml/);
    const text = await bodyText(res);
    expect(parse(text) ?? {}).toEqual(c.expected);
    if (Object.keys(c.expected).length === 0) expect(text).toBe("{}\n");
  });

  it("layering the two sources as Helm --values files gives the effective values", async () => {
    await putConfig(platformAndAgent);
    const created = await createCluster({
      name: uniqueName("layer"),
      annotations: { [ANNOTATION]: 'mtu: 600\nstunServers: ["z:1"]\nrelay:\n  mode: null\n' },
    });
    const name = created.cluster.name;
    const first = parse(await bodyText(await getValues(name, { source: "platform-config" }))) as ValuesMap;
    const second = parse(
      await bodyText(await getValues(name, { source: "cluster-annotation" })),
    ) as ValuesMap;
    const effective = parse(await bodyText(await getValues(name, {}))) as ValuesMap;
    expect(helmMerge(first, second)).toEqual(effective);
  });
});

describe("values endpoints: errors", () => {
  it.each([
    ["source=helm", 400, "invalid_source"],
    ["source=PLATFORM-CONFIG", 400, "invalid_source"],
  ])("?%s -> %i", async (query, status, code) => {
    const created = await createCluster({ name: uniqueName("src") });
    const res = await call("GET", `/clusters/${created.cluster.name}?token=${readKey}&${query}`, {
      token: null,
    });
    expect(await errorOf(res)).toMatchObject({ status, code });
  });

  it.each(["/clusters/no-such-cluster", "/clusters/agent-values/no-such-cluster", "/clusters/..%2Fetc"])(
    "%s -> 404",
    async (path) => {
      const res = await call("GET", `${path}?token=${readKey}`, { token: null });
      expect(await errorOf(res)).toMatchObject({ status: 404, code: "not_found" });
    },
  );

  it("401s without a token, with a wrong token, and with an agent credential", async () => {
    const created = await createCluster({ name: uniqueName("auth") });
    const name = created.cluster.name;
    const agent = await registerAgent(name, created.psk, { publicKey: randomPublicKey() });
    for (const query of ["", `?token=tak_${"Q".repeat(43)}`, `?token=${agent.credential}`, "?token="]) {
      const res = await call("GET", `/clusters/${name}${query}`, { token: null });
      expect(res.status).toBe(401);
    }
  });

  it("401s for a deleted values key", async () => {
    const created = await createCluster({ name: uniqueName("gone") });
    const res = await call("POST", "/api/v1/access-keys", { json: { name: "tmp", scope: "values:read" } });
    const { key, accessKey } = await json<{ key: string; accessKey: { id: string } }>(res);
    expect(
      (await call("GET", `/clusters/${created.cluster.name}?token=${key}`, { token: null })).status,
    ).toBe(200);
    await call("DELETE", `/api/v1/access-keys/${accessKey.id}`);
    expect(
      (await call("GET", `/clusters/${created.cluster.name}?token=${key}`, { token: null })).status,
    ).toBe(401);
  });
});

describe("values endpoints: reads kept between requests", () => {
  it("records the key's last use", async () => {
    const created = await createCluster({ name: uniqueName("used") });
    const res = await call("POST", "/api/v1/access-keys", { json: { name: "used", scope: "values:read" } });
    const { key, accessKey } = await json<{ key: string; accessKey: { id: string } }>(res);
    const read = await callAndSettle("GET", `/clusters/${created.cluster.name}?token=${key}`, {
      token: null,
    });
    expect(read.status).toBe(200);
    const list = await json<{ items: { id: string; lastUsedAt: string | null }[] }>(
      await call("GET", "/api/v1/access-keys"),
    );
    expect(list.items.find((k) => k.id === accessKey.id)?.lastUsedAt).not.toBeNull();
  });

  it("shows writes made through the API on the very next read", async () => {
    await putConfig("agentValues:\n  logLevel: warn\n  mtu: 1420\n");
    const created = await createCluster({
      name: uniqueName("fresh"),
      annotations: { [ANNOTATION]: "mtu: 1280\n" },
    });
    const name = created.cluster.name;
    const read = async () => parse(await bodyText(await getValues(name, {})));
    expect(await read()).toEqual({ logLevel: "warn", mtu: 1280 });
    expect(await read()).toEqual({ logLevel: "warn", mtu: 1280 });

    await call("PATCH", `/api/v1/clusters/${name}`, {
      json: { annotations: { [ANNOTATION]: "mtu: 1300\n" } },
    });
    expect(await read()).toEqual({ logLevel: "warn", mtu: 1300 });

    await putConfig("agentValues:\n  logLevel: debug\n");
    expect(await read()).toEqual({ logLevel: "debug", mtu: 1300 });
    expect(parse(await bodyText(await getValues(name, { source: "platform-config" })))).toEqual({
      logLevel: "debug",
    });

    expect((await call("DELETE", `/api/v1/clusters/${name}`)).status).toBe(204);
    expect(await errorOf(await getValues(name, {}))).toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("agent-values annotation validation", () => {
  it.each([
    ["a: [1, 2\n", 2, 1],
    ["ok: 1\nbad: : x\n", 2, 6],
    ["- not\n- a map\n", 1, 1],
    ["plain scalar", 1, 1],
  ])("POST rejects %j with 422 at line %i column %i", async (annotation, line, column) => {
    const res = await call("POST", "/api/v1/clusters", {
      json: { displayName: "Bad", name: uniqueName("badann"), annotations: { [ANNOTATION]: annotation } },
    });
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; message: string; details: unknown } }>(res);
    expect(body.error.code).toBe("invalid_yaml");
    expect(body.error.details).toEqual({ line, column });
    expect(body.error.message).toContain(`line ${line}, column ${column}`);
  });

  it("PATCH rejects a bad annotation with 422 and leaves the cluster unchanged", async () => {
    const created = await createCluster({
      name: uniqueName("patchann"),
      annotations: { [ANNOTATION]: "a: 1\n" },
    });
    const path = `/api/v1/clusters/${created.cluster.name}`;
    for (const [annotation, line, column] of [
      ["x:\n  - 1\n - 2\n", 3, 1],
      ["[1, 2]", 1, 1],
    ] as const) {
      const res = await call("PATCH", path, { json: { annotations: { [ANNOTATION]: annotation } } });
      expect(res.status).toBe(422);
      expect((await json<{ error: { details: unknown } }>(res)).error.details).toEqual({ line, column });
    }
    expect((await json<Cluster>(await call("GET", path))).annotations).toEqual({ [ANNOTATION]: "a: 1\n" });
  });

  it("PATCH can remove the annotation with null", async () => {
    const created = await createCluster({
      name: uniqueName("rmann"),
      annotations: { [ANNOTATION]: "a: 1\n" },
    });
    const res = await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, {
      json: { annotations: { [ANNOTATION]: null } },
    });
    expect((await json<Cluster>(res)).annotations).toEqual({});
  });

  it("a bad annotation already stored never breaks reads", async () => {
    await putConfig("agentValues:\n  logLevel: warn\n");
    const created = await createCluster({ name: uniqueName("stored") });
    const name = created.cluster.name;
    await env.DB.prepare("update clusters set annotations = ? where name = ?")
      .bind(JSON.stringify({ [ANNOTATION]: "this: is: not: yaml: [" }), name)
      .run();

    const effective = await getValues(name, {});
    expect(effective.status).toBe(200);
    expect(effective.headers.get("x-tether-warning")).toMatch(
      /^ignored invalid agent-values annotation \(line 1/,
    );
    expect(parse(await bodyText(effective))).toEqual({ logLevel: "warn" });

    const annotationOnly = await getValues(name, { source: "cluster-annotation" });
    expect(annotationOnly.status).toBe(200);
    expect(await bodyText(annotationOnly)).toBe("{}\n");

    const older = await getValues(name, { form: "older" });
    expect(older.status).toBe(200);

    const cluster = await call("GET", `/api/v1/clusters/${name}`);
    expect(cluster.status).toBe(200);

    // Even an annotations column that is not JSON at all.
    await env.DB.prepare("update clusters set annotations = ? where name = ?").bind("{not json", name).run();
    expect((await getValues(name, {})).status).toBe(200);
    expect((await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`))).annotations).toEqual({});
  });
});
