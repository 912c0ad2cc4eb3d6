import { afterEach, describe, expect, it } from "vitest";
import { HealthReportSchema } from "../../protocol/health.ts";
import {
  type AgentHealth,
  type HealthServer,
  parseHealthListen,
  startHealthServer,
} from "./health-server.ts";

const LIMITS = { tickStaleMs: 5_000, controlStaleMs: 15_000 };

describe("health server", () => {
  let server: HealthServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  async function serve(h: AgentHealth, clock: { now: number }) {
    server = await startHealthServer("127.0.0.1:0", { ...LIMITS, health: () => h, clock: () => clock.now });
    const base = `http://${server.address}`;
    return async (path: string, method = "GET") => {
      const res = await fetch(base + path, { method });
      const text = await res.text();
      return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : null };
    };
  }

  it("is alive and ready while the loop ticks and heartbeats succeed", async () => {
    const clock = { now: 100_000 };
    const get = await serve({ lastTickAt: 99_950, registered: true, lastControlOkAt: 98_000 }, clock);
    const alive = await get("/healthz");
    expect(alive.status).toBe(200);
    expect(HealthReportSchema.parse(alive.body)).toEqual({
      ok: true,
      check: "alive",
      tickAgeMs: 50,
      registered: true,
      controlAgeMs: 2_000,
    });
    expect((await get("/readyz")).status).toBe(200);
  });

  it("fails /healthz (and /readyz) once the loop has not ticked for longer than the limit", async () => {
    const clock = { now: 100_000 };
    const h = { lastTickAt: 100_000, registered: true, lastControlOkAt: 100_000 };
    const get = await serve(h, clock);
    clock.now = 105_000;
    expect((await get("/healthz")).status).toBe(200);
    clock.now = 105_001;
    const alive = await get("/healthz");
    expect(alive.status).toBe(503);
    expect(alive.body).toMatchObject({ ok: false, reason: "the agent loop last ticked 5001 ms ago" });
    expect((await get("/readyz")).status).toBe(503);
    h.lastTickAt = 105_001;
    expect((await get("/healthz")).status).toBe(200);
  });

  it("fails /readyz when unregistered, before the first heartbeat, and when the platform went quiet", async () => {
    const clock = { now: 50_000 };
    const h: AgentHealth = { lastTickAt: 50_000, registered: false, lastControlOkAt: null };
    const get = await serve(h, clock);
    expect((await get("/readyz")).body).toMatchObject({
      ok: false,
      reason: "not registered with the platform",
    });
    expect((await get("/healthz")).status).toBe(200);
    h.registered = true;
    expect((await get("/readyz")).body).toMatchObject({
      ok: false,
      reason: "the platform has not answered a heartbeat yet",
      controlAgeMs: null,
    });
    h.lastControlOkAt = 50_000;
    expect((await get("/readyz")).status).toBe(200);
    clock.now = 65_001;
    h.lastTickAt = 65_001;
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ reason: "the platform last answered a heartbeat 15001 ms ago" });
    // Alive is about the loop only: a lost platform is no reason to restart the agent.
    expect((await get("/healthz")).status).toBe(200);
  });

  it("answers HEAD without a body, 405 for other methods and 404 elsewhere", async () => {
    const get = await serve({ lastTickAt: 0, registered: true, lastControlOkAt: 0 }, { now: 0 });
    const head = await get("/healthz", "HEAD");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect((await get("/healthz", "POST")).status).toBe(405);
    const other = await get("/status");
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: { code: "not_found", message: "try /healthz or /readyz" } });
  });
});

describe("parseHealthListen", () => {
  it("takes HOST:PORT, [IPv6]:PORT and :PORT", () => {
    expect(parseHealthListen("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseHealthListen(":9000")).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(parseHealthListen("[::1]:80")).toEqual({ host: "::1", port: 80 });
    expect(parseHealthListen("localhost:0")).toEqual({ host: "localhost", port: 0 });
  });

  it.each(["8080", "127.0.0.1", "127.0.0.1:70000", "host:port", "a b:1", ""])("refuses %j", (addr) => {
    expect(() => parseHealthListen(addr)).toThrow(/--health-listen takes HOST:PORT/);
  });
});
