import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type {
  Cluster,
  CreateClusterResponse,
  ListClustersResponse,
  RotatePskResponse,
} from "../../protocol/api.ts";
import {
  call,
  clearLocalClusters,
  createCluster,
  errorOf,
  json,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

afterEach(clearLocalClusters);

describe("POST /api/v1/clusters", () => {
  it("creates a cluster and returns it with its PSK (shown once) and connect commands", async () => {
    const name = uniqueName("staging");
    const res = await call("POST", "/api/v1/clusters", {
      json: { displayName: "Staging", name, description: "eu", annotations: { team: "infra" } },
    });
    expect(res.status).toBe(201);
    const body = await json<CreateClusterResponse>(res);
    expect(body.cluster).toEqual({
      name,
      displayName: "Staging",
      description: "eu",
      annotations: { team: "infra" },
      local: false,
      meshIp: expect.stringMatching(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d{1,3}\.\d{1,3}$/),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      status: {
        phase: "",
        reason: "",
        message: "",
        online: false,
        lastSeen: null,
        agentVersion: null,
        endpoints: [],
        peers: [],
        values: null,
        conditions: expect.arrayContaining([
          expect.objectContaining({ type: "AgentConnected", status: "False", reason: "NeverConnected" }),
        ]),
      },
    });
    expect(body.psk).toMatch(/^tpsk_[A-Za-z0-9_-]{43}$/);
    expect(body.connect.cli).toBe(
      `TETHER_PSK=${body.psk} tether agent up --platform http://platform.test --cluster ${name}`,
    );
    expect(body.connect.helmValues).toContain(`psk: ${body.psk}`);
    expect(body.connect.kubectl).toContain(body.psk);
    expect(body.valuesKey).toMatch(/^tak_/);
    expect(body.connect.helm).toContain(`--set cluster.psk=${body.psk} `);
    expect(body.connect.helm).toContain(`/clusters/agent-values/${name}?token=${body.valuesKey}"`);
  });

  it.each([undefined, ""])(
    "generates a DNS-1123 name from the display name when name is %j",
    async (name) => {
      const body = await createCluster({
        displayName: "My Edge Cluster!",
        ...(name === undefined ? {} : { name }),
      });
      expect(body.cluster.name).toMatch(/^my-edge-cluster-[a-z0-9]{5}$/);
      expect((await call("GET", `/api/v1/clusters/${body.cluster.name}`)).status).toBe(200);
    },
  );

  it("409s on a duplicate name", async () => {
    const name = uniqueName("dup");
    await createCluster({ name });
    const res = await call("POST", "/api/v1/clusters", { json: { displayName: "Again", name } });
    expect(await errorOf(res)).toEqual({
      status: 409,
      code: "cluster_exists",
      message: `A cluster named "${name}" already exists.`,
    });
  });

  it("allows only one local cluster", async () => {
    const first = await createCluster({ name: uniqueName("primary"), local: true });
    expect(first.cluster.local).toBe(true);
    const res = await call("POST", "/api/v1/clusters", { json: { displayName: "Second", local: true } });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "local_cluster_exists" });
    // Non-local clusters are unaffected.
    await createCluster({ name: uniqueName("other"), local: false });
  });

  it.each([
    [{ displayName: "" }, "displayName"],
    [{ displayName: "x".repeat(129) }, "displayName"],
    [{}, "displayName"],
    [{ displayName: "X", name: "Bad_Name" }, "name"],
    [{ displayName: "X", name: "-lead" }, "name"],
    [{ displayName: "X", name: "trail-" }, "name"],
    [{ displayName: "X", name: "a".repeat(64) }, "name"],
    [{ displayName: "X", name: "../../etc" }, "name"],
    [{ displayName: "X", local: "yes" }, "local"],
    [{ displayName: "X", annotations: { a: 1 } }, "annotations.a"],
    [{ displayName: "X", annotations: ["a"] }, "annotations"],
  ])("rejects %j with 400 at %s", async (payload, path) => {
    const res = await call("POST", "/api/v1/clusters", { json: payload });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details.issues.map((i) => i.path)).toContain(path);
  });

  it("requires an access key", async () => {
    const res = await call("POST", "/api/v1/clusters", { token: null, json: { displayName: "X" } });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "missing_credential" });
  });

  // Bodies without Content-Length (chunked) are covered by the middleware unit test, which needs no network pump.
  it("refuses a body over 256 KiB with 413", async () => {
    const big = JSON.stringify({ displayName: "X", description: "d".repeat(300 * 1024) });
    expect(await errorOf(await call("POST", "/api/v1/clusters", { body: big }))).toMatchObject({
      status: 413,
      code: "body_too_large",
      message: "The request body is larger than the 256 KiB limit.",
    });
  });
});

describe("GET /api/v1/clusters/:name", () => {
  it("returns the cluster", async () => {
    const created = await createCluster({ name: uniqueName("get") });
    const res = await call("GET", `/api/v1/clusters/${created.cluster.name}`);
    expect(res.status).toBe(200);
    // The detail adds where the cluster's pair relays were placed: none yet.
    expect(await json<Cluster>(res)).toEqual({ ...created.cluster, relays: {} });
  });

  it.each(["does-not-exist", "..%2F..%2Fetc%2Fpasswd", "UPPER", "%00", "a".repeat(64)])(
    "404s for %j",
    async (name) => {
      const res = await call("GET", `/api/v1/clusters/${name}`);
      expect(await errorOf(res)).toMatchObject({ status: 404, code: "not_found" });
    },
  );
});

describe("GET /api/v1/clusters (pagination)", () => {
  it("walks every cluster in name order without repeats, page by page", async () => {
    const prefix = uniqueName("page");
    for (const suffix of ["c", "a", "b"]) await createCluster({ name: `${prefix}-${suffix}` });

    const all = await json<ListClustersResponse>(await call("GET", "/api/v1/clusters?limit=100"));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page++) {
      const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${cursor}`;
      const body: ListClustersResponse = await json<ListClustersResponse>(
        await call("GET", `/api/v1/clusters?${query}`),
      );
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((c) => c.name));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]));
    if (all.nextCursor === null) expect(seen).toEqual(all.items.map((c) => c.name));
  });

  it("defaults to 50 per page", async () => {
    const body = await json<ListClustersResponse>(await call("GET", "/api/v1/clusters"));
    expect(body.items.length).toBeLessThanOrEqual(50);
    expect(Object.keys(body).sort()).toEqual(["items", "nextCursor"]);
  });

  it.each(["limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "cursor=%21%21", "cursor=X19fX18"])(
    "rejects ?%s with 400",
    async (query) => {
      const res = await call("GET", `/api/v1/clusters?${query}`);
      expect(res.status).toBe(400);
    },
  );
});

describe("PATCH /api/v1/clusters/:name", () => {
  it("updates displayName and description, and adds and removes annotations", async () => {
    const created = await createCluster({ name: uniqueName("patch"), annotations: { keep: "1", drop: "2" } });
    const res = await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, {
      json: { displayName: "Renamed", description: "new", annotations: { drop: null, added: "3" } },
    });
    expect(res.status).toBe(200);
    const body = await json<Cluster>(res);
    expect(body.displayName).toBe("Renamed");
    expect(body.description).toBe("new");
    expect(body.annotations).toEqual({ keep: "1", added: "3" });
    expect(body.name).toBe(created.cluster.name);
    expect(await json<Cluster>(await call("GET", `/api/v1/clusters/${created.cluster.name}`))).toEqual({
      ...body,
      relays: {},
    });
  });

  it("an empty patch changes nothing", async () => {
    const created = await createCluster({ name: uniqueName("noop") });
    const res = await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, { json: {} });
    expect(await json<Cluster>(res)).toEqual(created.cluster);
  });

  it("404s for an unknown cluster", async () => {
    const res = await call("PATCH", "/api/v1/clusters/nope-nope", { json: { displayName: "x" } });
    expect(res.status).toBe(404);
  });

  it.each([{ displayName: "" }, { annotations: { a: 5 } }, { description: 3 }])(
    "rejects %j with 400",
    async (patch) => {
      const created = await createCluster({ name: uniqueName("badpatch") });
      expect((await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, { json: patch })).status).toBe(
        400,
      );
    },
  );
});

describe("DELETE /api/v1/clusters/:name", () => {
  it("deletes the cluster, its PSK and its agent, whose credential stops working", async () => {
    const created = await createCluster({ name: uniqueName("del") });
    const name = created.cluster.name;
    const agent = await registerAgent(name, created.psk);
    const heartbeat = { version: "0.1.0", endpoints: [], peers: [] };
    expect(
      (await call("POST", "/api/v1/agent/heartbeat", { token: agent.credential, json: heartbeat })).status,
    ).toBe(200);

    expect((await call("DELETE", `/api/v1/clusters/${name}`)).status).toBe(204);

    expect((await call("GET", `/api/v1/clusters/${name}`)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/clusters/${name}`)).status).toBe(404);
    const hb = await call("POST", "/api/v1/agent/heartbeat", { token: agent.credential, json: heartbeat });
    expect(await errorOf(hb)).toMatchObject({ status: 401, code: "invalid_credential" });
    for (const table of ["psks", "agents", "register_failures"]) {
      const row = await env.DB.prepare(`select count(*) as n from ${table} where cluster = ?`)
        .bind(name)
        .first<{ n: number }>();
      expect(row?.n).toBe(0);
    }
    // The name is free again.
    await createCluster({ name });
  });
});

describe("POST /api/v1/clusters/:name/rotate-psk", () => {
  it("issues a new PSK; the old one stops working", async () => {
    const created = await createCluster({ name: uniqueName("rot") });
    const name = created.cluster.name;
    const res = await call("POST", `/api/v1/clusters/${name}/rotate-psk`);
    expect(res.status).toBe(200);
    const rotated = await json<RotatePskResponse>(res);
    expect(rotated.psk).toMatch(/^tpsk_/);
    expect(rotated.psk).not.toBe(created.psk);
    expect(rotated.connect.cli).toBe(
      `TETHER_PSK=${rotated.psk} tether agent up --platform http://platform.test --cluster ${name}`,
    );

    const register = (psk: string) =>
      call("POST", "/api/v1/agent/register", {
        token: null,
        json: { cluster: name, psk, publicKey: randomPublicKey(), clusterUid: "u1", version: "0.1.0" },
      });
    expect(await errorOf(await register(created.psk))).toMatchObject({ status: 401, code: "invalid_psk" });
    expect((await register(rotated.psk)).status).toBe(200);
  });

  it("404s for an unknown cluster", async () => {
    expect((await call("POST", "/api/v1/clusters/nope-nope/rotate-psk")).status).toBe(404);
  });
});
