import { request } from "node:https";

/**
 * A minimal Kubernetes API client over node:https: JSON in, JSON out, with the cluster's CA and
 * either a bearer token (in a pod, re-read on every call because the kubelet rotates projected
 * tokens) or a client certificate. The agent needs four calls on two objects, which does not justify
 * @kubernetes/client-node's size and dependency tree in a single-file agent bundle.
 */

export interface KubeApiClientOptions {
  /** The API server's base URL, e.g. https://10.96.0.1:443. */
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
  /** The bearer token, read fresh for each request. */
  token?: () => Promise<string>;
  /** A client certificate and key (PEM), for admin clients. */
  cert?: string;
  key?: string;
  /** Per-request timeout in milliseconds (default 15 s). */
  timeoutMs?: number;
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A Kubernetes `Status` failure, with the server's own reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class KubeApiClient {
  readonly server: string;
  private readonly options: KubeApiClientOptions;

  constructor(options: KubeApiClientOptions) {
    const url = new URL(options.server);
    if (url.protocol !== "https:")
      throw new Error(`Kubernetes API server must be https://, got ${options.server}`);
    this.server = url.origin;
    this.options = options;
  }

  /** One call; resolves with any HTTP status (callers decide what a 404 means). */
  async call(method: string, path: string, body?: unknown): Promise<KubeResponse> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.options.token) headers.authorization = `Bearer ${(await this.options.token()).trim()}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers["content-type"] = "application/json";
    const url = new URL(path, this.server);
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers,
          ca: this.options.ca,
          cert: this.options.cert,
          key: this.options.key,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new Error(`${method} ${path}: response larger than ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            if (text !== "" && (res.headers["content-type"] ?? "").includes("json")) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.href}: no answer in ${timeoutMs} ms`)));
      req.on("error", (e) => reject(new Error(`${method} ${url.href}: ${e.message}`)));
      req.end(payload);
    });
  }

  /** Like call(), but a non-2xx status throws KubeApiError carrying the server's reason and message. */
  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.call(method, path, body);
    if (res.status < 200 || res.status > 299) throw kubeError(method, path, res);
    return res.body;
  }
}

/** The error for a failed call, using the server's Status object when it sent one. */
export function kubeError(method: string, path: string, res: KubeResponse): KubeApiError {
  const status = res.body as { reason?: unknown; message?: unknown } | null;
  const reason = typeof status?.reason === "string" ? status.reason : `HTTP${res.status}`;
  const detail = typeof status?.message === "string" ? status.message : String(res.body).slice(0, 200);
  return new KubeApiError(res.status, reason, `${method} ${path}: ${res.status} ${reason}: ${detail}`);
}
