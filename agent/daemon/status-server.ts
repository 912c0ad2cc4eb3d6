import { chmod, rm } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import { parseForwardRule } from "../settings/agent-settings.ts";
import { ForwardError } from "../tunnel/forward.ts";
import type { Agent } from "./agent.ts";
import { PingError, PingRequestSchema } from "./ping.ts";

/**
 * The running agent answers `tether agent status|ping` on a Unix socket inside
 * its state directory. A socket file (mode 0600, in a 0700 directory) is
 * local-only by construction: no port to firewall, no token to manage.
 *
 *   GET  /status            -> AgentStatus JSON
 *   POST /ping              -> PingReport JSON; body is a PingRequest
 *   POST /forward           -> ForwardInfo; body {"listen": "127.0.0.1:N", "to": "cluster:port"}
 *   POST /fault/udp         -> {"blocked": bool}   (only with fault injection enabled; for tests)
 *   POST /fault/relay-reconnect                    (only with fault injection enabled; for tests)
 *
 * Errors are `{error:{code,message}}`, like the platform's.
 */

export const STATUS_SOCKET_NAME = "agent.sock";
/** Request bodies here are a few fields of JSON; anything bigger is a mistake. */
export const MAX_LOCAL_BODY_BYTES = 4096;

export function statusSocketPath(stateDir: string): string {
  return join(stateDir, STATUS_SOCKET_NAME);
}

class LocalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_LOCAL_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_LOCAL_BODY_BYTES) {
        reject(new LocalError(413, "payload_too_large", `body over ${MAX_LOCAL_BODY_BYTES} bytes`));
      } else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text || "{}") as unknown;
  } catch {
    throw new LocalError(400, "bad_request", "body is not valid JSON");
  }
}

async function route(agent: Agent, req: http.IncomingMessage): Promise<unknown> {
  const key = `${req.method} ${req.url}`;
  if (key === "GET /status") return agent.status();
  if (key === "POST /ping") {
    const parsed = PingRequestSchema.safeParse(parseJson(await readBody(req)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LocalError(400, "bad_request", `${issue?.path.join(".") || "body"}: ${issue?.message}`);
    }
    try {
      return await agent.ping(parsed.data);
    } catch (e) {
      if (e instanceof PingError) throw new LocalError(422, "bad_target", e.message);
      throw e;
    }
  }
  if (key === "POST /forward") {
    const rule = parseForwardRule(parseJson(await readBody(req)));
    if (!rule) {
      throw new LocalError(
        400,
        "bad_request",
        'expected {"listen": "127.0.0.1:N" or N, "to": "cluster:port"}',
      );
    }
    if (agent.peerIpOf(rule.peer) === null) {
      throw new LocalError(422, "bad_target", `no peer "${rule.peer}" in the netmap`);
    }
    try {
      return await agent.addForward(rule);
    } catch (e) {
      if (e instanceof ForwardError) throw new LocalError(409, "conflict", e.message);
      throw e;
    }
  }
  if (key === "POST /fault/udp" || key === "POST /fault/relay-reconnect") {
    const body = parseJson(await readBody(req)) as { blocked?: unknown };
    try {
      if (key === "POST /fault/relay-reconnect") agent.reconnectRelays();
      else agent.setUdpBlocked(body.blocked === true);
    } catch (e) {
      throw new LocalError(403, "forbidden", (e as Error).message);
    }
    return { ok: true };
  }
  throw new LocalError(404, "not_found", `no route ${req.method} ${req.url}`);
}

export async function startStatusServer(agent: Agent, stateDir: string): Promise<{ close(): Promise<void> }> {
  const path = statusSocketPath(stateDir);
  await rm(path, { force: true });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    route(agent, req).then(
      (body) => send(200, body),
      (e: unknown) => {
        if (e instanceof LocalError) send(e.status, { error: { code: e.code, message: e.message } });
        else send(500, { error: { code: "internal", message: (e as Error).message } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface LocalRequest {
  method?: string;
  path?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** Client side, for `tether agent status|ping`: one request over the socket. */
export function requestAgent(stateDir: string, opts: LocalRequest = {}): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: statusSocketPath(stateDir),
        path: opts.path ?? "/status",
        method: opts.method ?? "GET",
        timeout: timeoutMs,
        headers: opts.body === undefined ? {} : { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          try {
            const parsed = JSON.parse(text) as unknown;
            if ((res.statusCode ?? 500) >= 400) {
              const msg =
                (parsed as { error?: { message?: string } }).error?.message ?? `HTTP ${res.statusCode}`;
              reject(new Error(msg));
            } else resolve(parsed);
          } catch {
            reject(new Error("agent answered with something that is not JSON"));
          }
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`agent did not answer within ${Math.round(timeoutMs / 1000)} s`)),
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ECONNREFUSED") {
        reject(new Error(`no agent is running with state directory ${stateDir}`));
      } else reject(e);
    });
    if (opts.body !== undefined) req.write(JSON.stringify(opts.body));
    req.end();
  });
}
