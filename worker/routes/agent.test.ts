import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Cluster, HeartbeatResponse, RegisterResponse } from "../../protocol/api.ts";
import {
  bodyText,
  call,
  callAt,
  createAccessKey,
  createCluster,
  errorOf,
  json,
  randomPublicKey,
  registerAgent,
  uniqueName,
} from "../test/http.ts";

function register(body: Record<string, unknown>) {
  return call("POST", "/api/v1/agent/register", { token: null, json: body });
}

const heartbeatBody = {
  version: "0.2.0",
  endpoints: ["192.0.2.10:51820", "[2001:db8::1]:51820"],
  peers: [
    {
      cluster: "hub",
      path: "direct",
      endpoint: "198.51.100.1:51820",
      rttMs: 12.5,
      rxBytes: 1000,
      txBytes: 2000,
      lastHandshakeAgeSeconds: 30,
    },
    {
      cluster: "far",
      path: "relay",
      endpoint: null,
      rttMs: null,
      rxBytes: 0,
      txBytes: 0,
      lastHandshakeAgeSeconds: null,
    },
  ],
};

describe("POST /api/v1/agent/register", () => {
  it("registers with the PSK and returns a credential and the cluster's mesh address", async () => {
    const created = await createCluster({ name: uniqueName("reg") });
    const res = await register({
      cluster: created.cluster.name,
      psk: created.psk,
      publicKey: randomPublicKey(),
      clusterUid: "kube-system-uid-1",
      version: "0.1.0",
      endpoints: ["192.0.2.1:51820"],
    });
    expect(res.status).toBe(200);
    const body = await json<RegisterResponse>(res);
    expect(body).toEqual({
      credential: expect.stringMatching(/^tac_[A-Za-z0-9_-]{43}$/),
      meshIp: created.cluster.meshIp,
      cluster: created.cluster.name,
      meshPrefix: "100.64.0.0/10",
    });
    const cluster = await json<Cluster>(await call("GET", `/api/v1/clusters/${created.cluster.name}`));
    expect(cluster.status).toMatchObject({
      phase: "Initialized",
      online: true,
      agentVersion: "0.1.0",
      endpoints: ["192.0.2.1:51820"],
    });
  });

  it("is idempotent for the same key and cluster UID: same mesh IP, fresh credential, old one revoked", async () => {
    const created = await createCluster({ name: uniqueName("idem") });
    const first = await registerAgent(created.cluster.name, created.psk);
    const second = await registerAgent(created.cluster.name, created.psk, { publicKey: first.publicKey });
    expect(second.meshIp).toBe(first.meshIp);
    expect(second.credential).not.toBe(first.credential);
    const hb = (token: string) => call("POST", "/api/v1/agent/heartbeat", { token, json: heartbeatBody });
    expect((await hb(first.credential)).status).toBe(401);
    expect((await hb(second.credential)).status).toBe(200);
  });

  it("lets the same physical cluster re-register with a new key (lost state file)", async () => {
    const created = await createCluster({ name: uniqueName("rekey") });
    const first = await registerAgent(created.cluster.name, created.psk);
    const second = await registerAgent(created.cluster.name, created.psk);
    expect(second.publicKey).not.toBe(first.publicKey);
    const netmap = await call("GET", "/api/v1/agent/netmap", { token: second.credential });
    expect((await json<{ self: { publicKey: string } }>(netmap)).self.publicKey).toBe(second.publicKey);
  });

  it("409s when a different cluster UID registers an already-registered cluster", async () => {
    const created = await createCluster({ name: uniqueName("uid") });
    await registerAgent(created.cluster.name, created.psk, { clusterUid: "uid-A" });
    const res = await register({
      cluster: created.cluster.name,
      psk: created.psk,
      publicKey: randomPublicKey(),
      clusterUid: "uid-B",
      version: "0.1.0",
    });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "cluster_uid_conflict" });
  });

  it("shows a refused second physical cluster in the cluster's status until the PSK is rotated", async () => {
    const created = await createCluster({ name: uniqueName("dup") });
    const name = created.cluster.name;
    const first = await registerAgent(name, created.psk, { clusterUid: "uid-A" });
    const duplicate = await register({
      cluster: name,
      psk: created.psk,
      publicKey: randomPublicKey(),
      clusterUid: "uid-B",
      version: "0.1.0",
    });
    expect((await errorOf(duplicate)).status).toBe(409);
    const status = async () => (await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`))).status;
    const after = await status();
    expect(after.phase).toBe("Initialized");
    expect(after.reason).toBe("DuplicateCluster");
    expect(after.message).toMatch(
      /^A second physical cluster \(cluster UID uid-B\) tried to register as ".+" at \S+Z and was refused\. Rotate the PSK/,
    );
    // The first agent's heartbeats keep it on show...
    const hb = await call("POST", "/api/v1/agent/heartbeat", {
      token: first.credential,
      json: heartbeatBody,
    });
    expect(hb.status).toBe(200);
    expect((await status()).reason).toBe("DuplicateCluster");
    // ...and a rotation, the admin's answer, clears it.
    expect((await call("POST", `/api/v1/clusters/${name}/rotate-psk`)).status).toBe(200);
    expect(await status()).toMatchObject({ reason: "", message: "" });
  });

  it("409s when the public key already belongs to another cluster", async () => {
    const a = await createCluster({ name: uniqueName("pka") });
    const b = await createCluster({ name: uniqueName("pkb") });
    const first = await registerAgent(a.cluster.name, a.psk);
    const res = await register({
      cluster: b.cluster.name,
      psk: b.psk,
      publicKey: first.publicKey,
      clusterUid: "other",
      version: "0.1.0",
    });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "public_key_in_use" });
  });

  it("401s on a wrong PSK and leaves a cluster without an agent as it was (no Failed from unauthenticated guesses)", async () => {
    const created = await createCluster({ name: uniqueName("badpsk") });
    const res = await register({
      cluster: created.cluster.name,
      psk: `tpsk_${"x".repeat(43)}`,
      publicKey: randomPublicKey(),
      clusterUid: "u",
      version: "0.1.0",
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_psk" });
    const cluster = await json<Cluster>(await call("GET", `/api/v1/clusters/${created.cluster.name}`));
    expect(cluster.status).toMatchObject({ phase: "", reason: "", message: "" });
    await registerAgent(created.cluster.name, created.psk);
    const after = await json<Cluster>(await call("GET", `/api/v1/clusters/${created.cluster.name}`));
    expect(after.status).toMatchObject({ phase: "Initialized", reason: "", message: "" });
  });

  it("429s a source after 5 failed attempts within 60 s, but never refuses the right PSK", async () => {
    const created = await createCluster({ name: uniqueName("rate") });
    const t0 = Date.now();
    const attempt = (at: number, psk: string, source = "203.0.113.7") =>
      callAt(at, "POST", "/api/v1/agent/register", {
        token: null,
        headers: { "cf-connecting-ip": source },
        json: {
          cluster: created.cluster.name,
          psk,
          publicKey: randomPublicKey(),
          clusterUid: "u",
          version: "0.1.0",
        },
      });
    for (let i = 0; i < 5; i++) {
      expect((await attempt(t0 + i * 1000, `tpsk_wrong${i}`)).status).toBe(401);
    }
    const limited = await attempt(t0 + 5000, "tpsk_wrong5");
    expect(await errorOf(limited.clone())).toMatchObject({ status: 429, code: "rate_limited" });
    expect(limited.headers.get("retry-after")).toBe("55");
    expect(await json(limited)).toMatchObject({ error: { details: { retryAfterSeconds: 55 } } });
    // Another source has its own budget: the attacker's guesses do not spend it.
    expect((await attempt(t0 + 5000, "tpsk_wrong6", "198.51.100.9")).status).toBe(401);
    // The real agent, even from the attacker's own address, is let in.
    expect((await attempt(t0 + 5500, created.psk)).status).toBe(200);
  });

  it("counts 200 concurrent wrong guesses atomically: exactly the limit are answered 401, the rest 429", async () => {
    const created = await createCluster({ name: uniqueName("race") });
    const source = "203.0.113.77";
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call("POST", "/api/v1/agent/register", {
          token: null,
          headers: { "cf-connecting-ip": source },
          json: {
            cluster: created.cluster.name,
            psk: `tpsk_guess${i}`,
            publicKey: randomPublicKey(),
            clusterUid: "u",
            version: "0.1.0",
          },
        }).then((r) => r.status),
      ),
    );
    expect(results.filter((s) => s === 401)).toHaveLength(5);
    expect(results.filter((s) => s === 429)).toHaveLength(195);
    const { results: rows } = await env.DB.prepare(
      "select count(*) as n from register_failures where cluster = ? and source = ?",
    )
      .bind(created.cluster.name, source)
      .all<{ n: number }>();
    expect(rows[0]?.n).toBe(5);
  }, 60_000);

  it("rotate-psk clears the cluster's failure counters", async () => {
    const created = await createCluster({ name: uniqueName("rotclr") });
    const source = "203.0.113.78";
    const guess = (psk: string) =>
      call("POST", "/api/v1/agent/register", {
        token: null,
        headers: { "cf-connecting-ip": source },
        json: {
          cluster: created.cluster.name,
          psk,
          publicKey: randomPublicKey(),
          clusterUid: "u",
          version: "0.1.0",
        },
      });
    for (let i = 0; i < 5; i++) expect((await guess(`tpsk_w${i}`)).status).toBe(401);
    expect((await guess("tpsk_w5")).status).toBe(429);
    expect((await call("POST", `/api/v1/clusters/${created.cluster.name}/rotate-psk`)).status).toBe(200);
    expect((await guess("tpsk_w6")).status).toBe(401);
  });

  it("answers an unknown cluster exactly like a wrong PSK (no 404 oracle)", async () => {
    const created = await createCluster({ name: uniqueName("known") });
    const body = (cluster: string) => ({
      cluster,
      psk: "tpsk_x",
      publicKey: randomPublicKey(),
      clusterUid: "u",
      version: "0.1.0",
    });
    const unknown = await register(body("no-such-cluster-x"));
    const known = await register(body(created.cluster.name));
    const a = await json<{ error: Record<string, unknown> }>(unknown);
    const b = await json<{ error: Record<string, unknown> }>(known);
    expect(unknown.status).toBe(401);
    expect(known.status).toBe(401);
    expect(a).toEqual(b);
    // A name that is not even a DNS-1123 label gets the same answer.
    const malformed = await register(body("Not_A_Label"));
    expect(malformed.status).toBe(401);
    expect(await json(malformed)).toEqual(b);
  });

  it.each([
    [{ publicKey: "not base64" }, "publicKey"],
    [{ publicKey: btoa("short") }, "publicKey"],
    [{ publicKey: `${"A".repeat(43)}B=` }, "publicKey"],
    [{ clusterUid: "" }, "clusterUid"],
    [{ clusterUid: "u".repeat(129) }, "clusterUid"],
    [{ version: "" }, "version"],
    [{ endpoints: ["nonsense"] }, "endpoints.0"],
    [{ endpoints: "192.0.2.1:1" }, "endpoints"],
    [{ cluster: undefined }, "cluster"],
    [{ psk: 7 }, "psk"],
  ])("rejects %j with 400 at %s", async (override, path) => {
    const res = await register({
      cluster: "whatever",
      psk: "tpsk_x",
      publicKey: randomPublicKey(),
      clusterUid: "u",
      version: "0.1.0",
      ...override,
    });
    expect(res.status).toBe(400);
    const body = await json<{ error: { details: { issues: { path: string }[] } } }>(res);
    expect(body.error.details.issues.map((i) => i.path)).toContain(path);
  });
});

describe("POST /api/v1/agent/heartbeat", () => {
  it("records status that GET cluster shows; online lapses after 30 s", async () => {
    const created = await createCluster({ name: uniqueName("hb") });
    const agent = await registerAgent(created.cluster.name, created.psk);
    const t0 = Date.now();
    const res = await callAt(t0, "POST", "/api/v1/agent/heartbeat", {
      token: agent.credential,
      json: heartbeatBody,
    });
    expect(res.status).toBe(200);
    const versions = await json<HeartbeatResponse>(res);
    expect(versions.netmapVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(versions.valuesVersion).toMatch(/^[0-9a-f]{16}$/);

    const path = `/api/v1/clusters/${created.cluster.name}`;
    const seen = await json<Cluster>(await callAt(t0 + 30_000, "GET", path));
    expect(seen.status).toEqual({
      phase: "Initialized",
      reason: "",
      message: "",
      online: true,
      lastSeen: new Date(t0).toISOString(),
      agentVersion: "0.2.0",
      endpoints: heartbeatBody.endpoints,
      // "hub" and "far" are not clusters this agent may peer with, so they are dropped
      // (real peers are kept: agent-heartbeat-input.test.ts).
      peers: [],
      values: null,
      conditions: expect.arrayContaining([
        expect.objectContaining({ type: "AgentConnected", status: "True", reason: "HeartbeatFallback" }),
      ]),
    });
    const stale = await json<Cluster>(await callAt(t0 + 31_000, "GET", path));
    expect(stale.status.online).toBe(false);
    expect(stale.status.conditions).toContainEqual(
      expect.objectContaining({ type: "AgentOffline", status: "True", reason: "NoSignOfLife" }),
    );
    expect(stale.status.lastSeen).toBe(new Date(t0).toISOString());
  });

  it("puts the address it observed, with the agent's UDP port, first in the endpoints", async () => {
    const created = await createCluster({ name: uniqueName("observed") });
    const agent = await registerAgent(created.cluster.name, created.psk);
    const res = await call("POST", "/api/v1/agent/heartbeat", {
      token: agent.credential,
      headers: { "cf-connecting-ip": "198.51.100.7" },
      json: { ...heartbeatBody, endpoints: ["10.0.0.5:51820", "198.51.100.7:51820"], listenPort: 51820 },
    });
    expect(res.status).toBe(200);
    expect((await json<HeartbeatResponse>(res)).observedEndpoint).toBe("198.51.100.7:51820");
    const seen = await json<Cluster>(await call("GET", `/api/v1/clusters/${created.cluster.name}`));
    expect(seen.status.endpoints).toEqual(["198.51.100.7:51820", "10.0.0.5:51820"]);

    // Without a port the platform cannot know which UDP port to pair, so it adds nothing.
    const none = await call("POST", "/api/v1/agent/heartbeat", {
      token: agent.credential,
      headers: { "cf-connecting-ip": "198.51.100.7" },
      json: heartbeatBody,
    });
    expect((await json<HeartbeatResponse>(none)).observedEndpoint).toBeNull();
  });

  it("returns stable versions while nothing changes", async () => {
    const created = await createCluster({ name: uniqueName("stable") });
    const agent = await registerAgent(created.cluster.name, created.psk);
    const hb = async () =>
      json<HeartbeatResponse>(
        await call("POST", "/api/v1/agent/heartbeat", { token: agent.credential, json: heartbeatBody }),
      );
    expect(await hb()).toEqual(await hb());
  });

  it.each([
    [null, "missing_credential"],
    [`tac_${"Z".repeat(43)}`, "invalid_credential"],
  ])("401s for credential %j", async (token, code) => {
    const res = await call("POST", "/api/v1/agent/heartbeat", { token, json: heartbeatBody });
    expect(await errorOf(res)).toMatchObject({ status: 401, code });
  });

  it("does not accept an access key as an agent credential", async () => {
    const key = await createAccessKey("admin");
    for (const token of [key, undefined]) {
      const res = await call("GET", "/api/v1/agent/netmap", token === undefined ? {} : { token });
      expect(res.status).toBe(401);
    }
  });

  it.each([
    { ...heartbeatBody, endpoints: undefined },
    { ...heartbeatBody, peers: [{ ...heartbeatBody.peers[0], path: "teleport" }] },
    { ...heartbeatBody, peers: [{ ...heartbeatBody.peers[0], rxBytes: -1 }] },
    { ...heartbeatBody, peers: [{ ...heartbeatBody.peers[0], txBytes: 1.5 }] },
    { ...heartbeatBody, version: "" },
    { ...heartbeatBody, listenPort: 0 },
    { ...heartbeatBody, listenPort: "51820" },
  ])("rejects a malformed heartbeat with 400 (%#)", async (body) => {
    const created = await createCluster({ name: uniqueName("hbbad") });
    const agent = await registerAgent(created.cluster.name, created.psk);
    const res = await call("POST", "/api/v1/agent/heartbeat", { token: agent.credential, json: body });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: "invalid_request" });
  });
});

describe("GET /api/v1/agent/values", () => {
  it("returns the agent's own effective values as YAML", async () => {
    const created = await createCluster({
      name: uniqueName("aval"),
      annotations: { "loft.sh/agent-values": "logLevel: debug\n" },
    });
    const agent = await registerAgent(created.cluster.name, created.psk);
    const res = await call("GET", "/api/v1/agent/values", { token: agent.credential });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await bodyText(res)).toContain("logLevel: debug");
  });
});
