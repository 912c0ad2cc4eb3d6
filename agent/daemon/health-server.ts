/**
 * The optional HTTP health endpoint of a running agent (see protocol/health.ts for the routes). It is
 * its own small server, not the status socket: orchestrators probe over TCP, and these two routes
 * reveal nothing but liveness. It reads the agent only through `health()`, and time only through the
 * clock, so staleness is testable without waiting.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthReport } from "../../protocol/health.ts";
import type { AgentHealth } from "./agent-status.ts";

export type { AgentHealth } from "./agent-status.ts";

export interface HealthLimits {
  /** /healthz fails when the loop has not ticked for longer than this. */
  tickStaleMs: number;
  /** /readyz fails when the control plane has not answered for longer than this. */
  controlStaleMs: number;
}

export interface HealthServerOptions extends HealthLimits {
  health: () => AgentHealth;
  clock: () => number;
}

export function evaluateHealth(
  h: AgentHealth,
  now: number,
  limits: HealthLimits,
): { alive: HealthReport; ready: HealthReport } {
  const tickAgeMs = Math.max(0, now - h.lastTickAt);
  const controlAgeMs = h.lastControlOkAt === null ? null : Math.max(0, now - h.lastControlOkAt);
  const facts = { tickAgeMs, registered: h.registered, controlAgeMs };
  const stuck = tickAgeMs > limits.tickStaleMs;
  const aliveReason = stuck ? `the agent loop last ticked ${tickAgeMs} ms ago` : undefined;
  const readyReason = !h.registered
    ? "not registered with the platform"
    : controlAgeMs === null
      ? "the platform has not answered a heartbeat yet"
      : controlAgeMs > limits.controlStaleMs
        ? `the platform last answered a heartbeat ${controlAgeMs} ms ago`
        : aliveReason;
  return {
    alive: { ok: aliveReason === undefined, check: "alive", reason: aliveReason, ...facts },
    ready: { ok: readyReason === undefined, check: "ready", reason: readyReason, ...facts },
  };
}

/** `HOST:PORT` (IPv4 or a name), `[IPv6]:PORT`, or `:PORT` for every IPv4 interface. */
export function parseHealthListen(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`--health-listen takes HOST:PORT, [IPv6]:PORT or :PORT (got "${addr}")`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export interface HealthServer {
  /** host:port it listens on (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

export async function startHealthServer(listen: string, opts: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseHealthListen(listen);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const which = path === "/healthz" ? "alive" : path === "/readyz" ? "ready" : null;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : `${JSON.stringify(body)}\n`);
    };
    if (which === null)
      return send(404, { error: { code: "not_found", message: "try /healthz or /readyz" } });
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(405, { error: { code: "method_not_allowed", message: "GET or HEAD only" } });
    const report = evaluateHealth(opts.health(), opts.clock(), opts)[which];
    send(report.ok ? 200 : 503, report);
  });
  // Probes are tiny and frequent; do not let an idle keep-alive socket outlive a stop.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
