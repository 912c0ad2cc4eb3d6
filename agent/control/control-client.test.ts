import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HeartbeatResponse, Netmap } from "../../protocol/api.ts";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { until } from "../../test/helpers/until.ts";
import { createLogger } from "../util/logger.ts";
import { ControlClient, type ControlClientOptions, registerRetryDelayMs } from "./control-client.ts";
import { ApiError } from "./platform-errors.ts";
import { fileStateStore } from "./state-store.ts";

/**
 * The control client against a scripted platform on loopback: real HTTP, real
 * state files, a fake clock for the heartbeat schedule.
 */

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  body: unknown;
}

type Reply = { status: number; body: unknown; contentType?: string };

class ScriptedPlatform {
  readonly seen: Seen[] = [];
  credential = "tac_first";
  registrations = 0;
  refuseRegistration = false;
  /** The next N registrations are answered 429 (a rate limit), with this Retry-After. */
  rateLimited = 0;
  retryAfterSeconds = 7;
  heartbeat: HeartbeatResponse = {
    netmapVersion: "n1",
    valuesVersion: "v1",
    observedEndpoint: "198.51.100.7:51820",
  };
  netmap: Netmap = {
    self: { cluster: "spoke", meshIp: "100.64.0.2", publicKey: "x" },
    policy: "hub",
    peers: [],
    version: "n1",
  };
  values = "logLevel: debug\n";
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.read(req).then((body) => {
        const path = req.url ?? "";
        this.seen.push({ method: req.method ?? "", path, auth: req.headers.authorization, body });
        const reply = this.reply(req, path);
        res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json" });
        res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  count(path: string): number {
    return this.seen.filter((s) => s.path === path).length;
  }

  private reply(req: IncomingMessage, path: string): Reply {
    const unauthorized = {
      status: 401,
      body: { error: { code: "unauthorized", message: "bad credential" } },
    };
    if (path === "/api/v1/agent/register") {
      if (this.rateLimited > 0) {
        this.rateLimited--;
        return {
          status: 429,
          body: {
            error: {
              code: "rate_limited",
              message: "Too many failed registrations; retry later.",
              details: { retryAfterSeconds: this.retryAfterSeconds },
            },
          },
        };
      }
      if (this.refuseRegistration)
        return { status: 401, body: { error: { code: "unauthorized", message: "bad PSK" } } };
      this.registrations++;
      this.credential = `tac_${this.registrations}`;
      return {
        status: 200,
        body: {
          credential: this.credential,
          meshIp: "100.64.0.2",
          cluster: "spoke",
          meshPrefix: "100.64.0.0/10",
        },
      };
    }
    if (req.headers.authorization !== `Bearer ${this.credential}`) return unauthorized;
    if (path === "/api/v1/agent/heartbeat") return { status: 200, body: this.heartbeat };
    if (path === "/api/v1/agent/netmap") return { status: 200, body: this.netmap };
    if (path === "/api/v1/agent/values")
      return { status: 200, body: this.values, contentType: "application/yaml" };
    return { status: 404, body: { error: { code: "not_found", message: path } } };
  }

  private async read(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? JSON.parse(text) : null;
  }
}

describe("ControlClient", () => {
  let platform: ScriptedPlatform;
  let dir: string;
  let clock: FakeClock;
  const clients: ControlClient[] = [];

  beforeEach(async () => {
    platform = new ScriptedPlatform();
    await platform.start();
    dir = await mkdtemp(join(tmpdir(), "tether-control-"));
    clock = new FakeClock();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    await platform.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function client(over: Partial<ControlClientOptions> = {}): ControlClient {
    const c = new ControlClient({
      platform: platform.url,
      cluster: "spoke",
      psk: "tpsk_secret",
      store: fileStateStore(dir),
      clock,
      log: createLogger("error", () => {}),
      version: "9.9.9",
      status: () => ({ endpoints: ["192.0.2.1:51820"], peers: [], listenPort: 51820 }),
      // This fake platform speaks HTTP only: these tests are the fallback heartbeat's. The
      // channel is tested against the real platform (test/e2e/control-channel.test.ts).
      controlChannel: false,
      ...over,
    });
    clients.push(c);
    return c;
  }

  it("registers once with the PSK, stores the identity, and reuses it on the next start", async () => {
    const first = await client().start();
    expect(first.credential).toBe("tac_1");
    const reg = platform.seen.find((s) => s.path === "/api/v1/agent/register")!.body as Record<
      string,
      string
    >;
    expect(reg).toMatchObject({ cluster: "spoke", psk: "tpsk_secret", version: "9.9.9" });
    expect(reg.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(reg.clusterUid).toBe(first.clusterUid);

    const second = await client().start();
    expect(platform.registrations).toBe(1);
    expect(second).toEqual(first);
  });

  it("waits out a 429 from register as long as the platform says, then registers", async () => {
    platform.rateLimited = 2;
    const started = client().start();
    await until("the first register", () => platform.count("/api/v1/agent/register") === 1);
    // The 429 is answered over real HTTP: advance the fake clock only once the retry is armed.
    await until("the first retry armed", () => clock.scheduled > 0);
    // Nothing more before the Retry-After (7 s) has passed on the clock.
    clock.advance(6_900);
    await new Promise((r) => setTimeout(r, 50));
    expect(platform.count("/api/v1/agent/register")).toBe(1);
    // 7 s plus at most 20% jitter.
    clock.advance(1_500);
    await until("the second register", () => platform.count("/api/v1/agent/register") === 2);
    await until("the second retry armed", () => clock.scheduled > 0);
    clock.advance(8_400);
    const state = await started;
    expect(platform.count("/api/v1/agent/register")).toBe(3);
    expect(state.credential).toBe("tac_1");
  });

  it("retry delay: Retry-After with jitter, a default without one, and a cap", () => {
    const err = (details?: Record<string, unknown>) => new ApiError(429, "rate_limited", "x", details);
    expect(registerRetryDelayMs(err({ retryAfterSeconds: 7 }), 0)).toBe(7_000);
    expect(registerRetryDelayMs(err({ retryAfterSeconds: 7 }), 1)).toBe(8_400);
    expect(registerRetryDelayMs(err(), 0)).toBe(30_000);
    expect(registerRetryDelayMs(err({ retryAfterSeconds: "soon" }), 0)).toBe(30_000);
    expect(registerRetryDelayMs(err({ retryAfterSeconds: 86_400 }), 0)).toBe(600_000);
  });

  it("refuses to start with no stored identity and no PSK, naming the store", async () => {
    await expect(client({ psk: undefined }).start()).rejects.toThrow(
      `no agent state in file ${join(dir, "agent-state.json")} and no --psk given`,
    );
  });

  it("heartbeats with the status it asks for, then fetches netmap and values only when their versions move", async () => {
    const c = client();
    const netmaps: Netmap[] = [];
    const values: string[] = [];
    const observed: (string | null)[] = [];
    c.on("netmap", (nm) => netmaps.push(nm));
    c.on("values", (v) => values.push(v));
    c.on("observed-endpoint", (e) => observed.push(e));
    await c.start();
    await c.heartbeat();
    const hb = platform.seen.find((s) => s.path === "/api/v1/agent/heartbeat")!;
    expect(hb.auth).toBe("Bearer tac_1");
    expect(hb.body).toEqual({
      version: "9.9.9",
      endpoints: ["192.0.2.1:51820"],
      peers: [],
      listenPort: 51820,
    });
    expect(netmaps.map((n) => n.version)).toEqual(["n1"]);
    expect(values).toEqual(["logLevel: debug\n"]);
    expect(observed).toEqual(["198.51.100.7:51820"]);
    expect(c.platformReachable).toBe(true);
    expect(c.lastOkAt).toBe(clock.now());

    await c.heartbeat();
    expect(platform.count("/api/v1/agent/netmap")).toBe(1);
    expect(platform.count("/api/v1/agent/values")).toBe(1);

    platform.heartbeat = { ...platform.heartbeat, netmapVersion: "n2" };
    platform.netmap = { ...platform.netmap, version: "n2" };
    await c.heartbeat();
    expect(netmaps.map((n) => n.version)).toEqual(["n1", "n2"]);
    expect(platform.count("/api/v1/agent/values")).toBe(1);
  });

  it("heartbeats on its interval, and faster while the platform asks for it", async () => {
    const c = client({ heartbeatMs: 5_000 });
    await c.start();
    c.run();
    clock.advance(4_999);
    expect(platform.count("/api/v1/agent/heartbeat")).toBe(0);
    clock.advance(1);
    await until("the first heartbeat", () => platform.count("/api/v1/agent/netmap") === 1);
    await until("the next heartbeat to be scheduled", () => clock.scheduled === 1);

    platform.heartbeat = { ...platform.heartbeat, heartbeatSeconds: 1 };
    clock.advance(5_000);
    await until("the second heartbeat", () => platform.count("/api/v1/agent/heartbeat") === 2);
    await until("the next heartbeat to be scheduled", () => clock.scheduled === 1);
    // The platform asked for 1 s: the third comes a second later, not five.
    clock.advance(1_000);
    await until("the third heartbeat", () => platform.count("/api/v1/agent/heartbeat") === 3);
  });

  it("registers again with the PSK when the credential is refused, and carries on with the new one", async () => {
    const c = client();
    const reregistered: string[] = [];
    c.on("reregistered", (s) => reregistered.push(s.credential));
    const first = await c.start();
    platform.credential = "tac_revoked"; // the platform no longer takes tac_1
    await c.heartbeat();
    expect(reregistered).toEqual(["tac_2"]);
    expect(c.state.privateKey).toBe(first.privateKey); // same identity, new credential
    expect(c.platformReachable).toBe(false);
    await c.heartbeat();
    const last = platform.seen.at(-1)!;
    expect(last.auth).toBe("Bearer tac_2");
    expect(c.platformReachable).toBe(true);
    // The new credential is what a restart finds.
    expect((await client().start()).credential).toBe("tac_2");
  });

  it("is fatal when the credential is refused and there is no PSK", async () => {
    await client().start();
    const c = client({ psk: undefined });
    const fatal: Error[] = [];
    c.on("fatal", (e) => fatal.push(e));
    await c.start();
    platform.credential = "tac_revoked";
    await c.heartbeat();
    expect(fatal.map((e) => e.message)).toEqual([
      "platform refused the agent credential (bad credential); the cluster was deleted or revoked. To reconnect, rotate the PSK (tether cluster rotate-psk spoke) and run the new connect command.",
    ]);
  });

  it("is fatal when the credential is refused and registering again fails", async () => {
    const c = client();
    const fatal: Error[] = [];
    c.on("fatal", (e) => fatal.push(e));
    await c.start();
    platform.credential = "tac_revoked";
    platform.refuseRegistration = true;
    await c.heartbeat();
    expect(fatal.map((e) => e.message)).toEqual([
      "agent credential refused and re-registration failed: the platform refused the PSK too (bad PSK); the cluster's agent was revoked, its PSK rotated, or the cluster deleted. To reconnect, rotate the PSK (tether cluster rotate-psk spoke) and run the new connect command.",
    ]);
  });

  it("keeps going when the platform is unreachable", async () => {
    const c = client();
    await c.start();
    await platform.stop();
    await c.heartbeat();
    expect(c.platformReachable).toBe(false);
    expect(c.lastOkAt).toBeNull();
  });

  it("fetches the netmap early at most once a second", async () => {
    const c = client();
    await c.start();
    c.syncNetmapSoon();
    await until("the early netmap", () => platform.count("/api/v1/agent/netmap") === 1);
    c.syncNetmapSoon();
    clock.advance(999);
    c.syncNetmapSoon();
    await new Promise((r) => setTimeout(r, 50));
    expect(platform.count("/api/v1/agent/netmap")).toBe(1);
    clock.advance(1);
    c.syncNetmapSoon();
    await until("the second early netmap", () => platform.count("/api/v1/agent/netmap") === 2);
  });
});
