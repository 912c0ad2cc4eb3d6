import { chmod, rm } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import type { Agent } from "./agent.ts";

/**
 * The running agent answers `tether agent status` on a Unix socket inside its
 * state directory. A socket file (mode 0600, in a 0700 directory) is local-only
 * by construction: no port to firewall, no token to manage.
 *
 *   GET  /status            -> AgentStatus JSON
 *   POST /fault/udp         -> {"blocked": bool}   (only with fault injection enabled; for tests)
 *   POST /fault/relay-reconnect                    (only with fault injection enabled; for tests)
 */

export const STATUS_SOCKET_NAME = "agent.sock";

export function statusSocketPath(stateDir: string): string {
  return join(stateDir, STATUS_SOCKET_NAME);
}

export async function startStatusServer(agent: Agent, stateDir: string): Promise<{ close(): Promise<void> }> {
  const path = statusSocketPath(stateDir);
  await rm(path, { force: true });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/status") return send(200, agent.status());
    if (req.method === "POST" && (req.url === "/fault/udp" || req.url === "/fault/relay-reconnect")) {
      let body = "";
      req.on("data", (c: Buffer) => {
        if (body.length < 1024) body += c.toString();
      });
      req.on("end", () => {
        try {
          if (req.url === "/fault/relay-reconnect") agent.reconnectRelays();
          else agent.setUdpBlocked((JSON.parse(body || "{}") as { blocked?: unknown }).blocked === true);
          send(200, { ok: true });
        } catch (e) {
          send(403, { error: { code: "forbidden", message: (e as Error).message } });
        }
      });
      return;
    }
    send(404, { error: { code: "not_found", message: `no route ${req.method} ${req.url}` } });
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

/** Client side, for `tether agent status`: one GET over the socket. */
export function requestStatus(
  stateDir: string,
  method = "GET",
  urlPath = "/status",
  body?: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: statusSocketPath(stateDir), path: urlPath, method, timeout: 5_000 },
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
    req.on("timeout", () => req.destroy(new Error("agent did not answer within 5 s")));
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ECONNREFUSED") {
        reject(new Error(`no agent is running with state directory ${stateDir}`));
      } else reject(e);
    });
    if (body) req.write(body);
    req.end();
  });
}
