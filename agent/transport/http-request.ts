import http from "node:http";
import https from "node:https";
import { agentFor, type ProxyEnv } from "./proxy-agent.ts";

/**
 * One HTTP request over node:http(s), through HTTPS_PROXY/HTTP_PROXY when set.
 *
 * Node's global fetch ignores proxy variables, and the agent must work from
 * clusters whose only way out is an egress proxy, so every platform call from
 * the CLI and the agent goes through here.
 */

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs?: number;
  /** Largest response body accepted; a bigger one fails rather than filling memory. */
  maxResponseBytes?: number;
  env?: ProxyEnv;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export class HttpTimeoutError extends Error {
  override name = "TimeoutError";
}

export function httpRequest(url: URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const lib = url.protocol === "https:" ? https : http;
  const maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
    const req = lib.request(
      url,
      { method: options.method ?? "GET", headers, agent: agentFor(url, options.env ?? process.env) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            fail(new Error(`response from ${url.host} exceeds ${maxBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    const timeoutMs = options.timeoutMs ?? 30_000;
    req.setTimeout(timeoutMs, () => {
      fail(new HttpTimeoutError(`no answer within ${timeoutMs} ms`));
      req.destroy();
    });
    req.on("error", fail);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
