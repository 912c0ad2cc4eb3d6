import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";

/**
 * HTTP CONNECT tunnelling for the agent's platform and relay connections.
 *
 * Clusters often sit behind an egress proxy. Node's http/https clients (and so
 * `ws`) do not read HTTPS_PROXY themselves, so the agent hands them an Agent
 * whose sockets are CONNECT tunnels through the proxy. TLS, when the target is
 * https/wss, runs end to end inside the tunnel: the proxy sees only host:port.
 */

export interface ProxyEnv {
  HTTPS_PROXY?: string | undefined;
  https_proxy?: string | undefined;
  HTTP_PROXY?: string | undefined;
  http_proxy?: string | undefined;
  NO_PROXY?: string | undefined;
  no_proxy?: string | undefined;
}

/** The proxy URL to use for `target`, following curl's conventions, or null for a direct connection. */
export function proxyFor(target: URL, env: ProxyEnv = process.env): URL | null {
  const secure = target.protocol === "https:" || target.protocol === "wss:";
  const raw = secure ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return null;
  if (bypassed(target.hostname, env.NO_PROXY ?? env.no_proxy ?? "")) return null;
  const proxy = new URL(raw.includes("://") ? raw : `http://${raw}`);
  if (proxy.protocol !== "http:")
    throw new Error(`unsupported proxy scheme ${proxy.protocol} (only http:// proxies)`);
  return proxy;
}

function bypassed(host: string, noProxy: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return noProxy
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0)
    .some((entry) => {
      if (entry === "*") return true;
      const bare = entry.replace(/^\*?\./, "").replace(/:\d+$/, "");
      return h === bare || h.endsWith(`.${bare}`);
    });
}

/** An Agent that tunnels through `proxy`, for requests to `target`'s scheme. */
export function createProxyAgent(target: URL, proxy: URL): http.Agent {
  const secure = target.protocol === "https:" || target.protocol === "wss:";
  const auth =
    proxy.username || proxy.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`
      : null;
  const open = (
    options: {
      host?: string | null;
      hostname?: string | null;
      port?: number | string | null;
      servername?: string;
    },
    cb: (err: Error | null, socket?: Duplex) => void,
  ) => {
    const host = options.hostname ?? options.host ?? target.hostname;
    const port = Number(options.port ?? (target.port || (secure ? 443 : 80)));
    connectThrough(proxy, host, port, auth).then(
      (raw) => {
        if (!secure) return cb(null, raw);
        const s = tls.connect({ socket: raw, servername: options.servername ?? host });
        s.once("secureConnect", () => cb(null, s));
        s.once("error", (e) => cb(e));
      },
      (e: Error) => cb(e),
    );
    return undefined;
  };
  if (secure) {
    const a = new https.Agent({ keepAlive: true });
    (a as unknown as { createConnection: typeof open }).createConnection = open;
    return a;
  }
  const a = new http.Agent({ keepAlive: true });
  (a as unknown as { createConnection: typeof open }).createConnection = open;
  return a;
}

const MAX_PROXY_RESPONSE_HEADER = 16 * 1024;

function connectThrough(proxy: URL, host: string, port: number, auth: string | null): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(proxy.port || 80), proxy.hostname);
    let buf = Buffer.alloc(0);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(15_000, () => fail(new Error(`proxy ${proxy.host} did not answer CONNECT in time`)));
    sock.once("error", fail);
    sock.once("connect", () => {
      const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      sock.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ""}\r\n`,
      );
    });
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > MAX_PROXY_RESPONSE_HEADER)
          fail(new Error("proxy sent an oversized CONNECT response"));
        return;
      }
      sock.off("data", onData);
      sock.setTimeout(0);
      sock.off("error", fail);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, end).toString("latin1"));
      if (status?.[1] !== "200") {
        fail(new Error(`proxy refused CONNECT to ${host}:${port}: ${status ? status[1] : "bad response"}`));
        return;
      }
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) sock.unshift(rest);
      resolve(sock);
    };
    sock.on("data", onData);
  });
}

/** The Agent to use for `target` given the environment, or undefined for Node's default. */
export function agentFor(target: URL, env: ProxyEnv = process.env): http.Agent | undefined {
  const proxy = proxyFor(target, env);
  return proxy ? createProxyAgent(target, proxy) : undefined;
}
