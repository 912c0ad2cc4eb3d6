/**
 * The HTTP client for the platform API, shared by the CLI and the agent's
 * control client. Small on purpose: one request
 * function that adds auth, enforces a timeout, and turns every failure into an
 * ApiError or NetworkError with a message fit for one terminal line.
 */
import { type HttpResponse, httpRequest } from "../transport/http-request.ts";
import { ApiError, NetworkError } from "./platform-errors.ts";

export interface PlatformClientOptions {
  /** Platform origin, e.g. http://127.0.0.1:8787 (a trailing slash is tolerated). */
  baseUrl: string;
  accessKey?: string | undefined;
  timeoutMs?: number;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A string is sent as-is with `contentType`; anything else is sent as JSON. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  query?: Record<string, string | number | undefined>;
}

export interface PlatformResponse {
  status: number;
  contentType: string;
  text: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class PlatformClient {
  readonly baseUrl: string;
  private readonly accessKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: PlatformClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.accessKey = options.accessKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Sends a request and returns the raw body; non-2xx answers throw ApiError. */
  async request(path: string, options: RequestOptions = {}): Promise<PlatformResponse> {
    const url = new URL(path, `${this.baseUrl}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
    if (this.accessKey) headers.authorization = `Bearer ${this.accessKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      if (typeof options.body === "string") {
        body = options.body;
        headers["content-type"] = options.contentType ?? "text/plain";
      } else {
        body = JSON.stringify(options.body);
        headers["content-type"] = "application/json";
      }
    }

    // node:http rather than fetch: it honours HTTPS_PROXY/NO_PROXY (http-request.ts), and a
    // long-running agent does not load undici for its heartbeats.
    let response: HttpResponse;
    try {
      response = await httpRequest(url, {
        method: options.method ?? "GET",
        headers,
        body,
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw this.networkError(err);
    }
    const { status, text } = response;
    if (status < 200 || status > 299) throw toApiError(status, text);
    return { status, contentType: String(response.headers["content-type"] ?? ""), text };
  }

  /** Like request(), but parses a JSON body (an empty body, e.g. 204, gives undefined). */
  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(path, options);
    if (res.text === "") return undefined as T;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new ApiError(
        res.status,
        "bad_response",
        `platform answered ${path} with a body that is not JSON`,
      );
    }
  }

  private networkError(err: unknown): NetworkError {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return new NetworkError(
        `platform at ${this.baseUrl} did not answer within ${formatDuration(this.timeoutMs)}`,
      );
    }
    return new NetworkError(`cannot reach platform at ${this.baseUrl}: ${networkReason(err)}`);
  }
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NetworkError(`platform URL "${raw}" is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new NetworkError(`platform URL "${raw}" must start with http:// or https://`);
  }
  return url.href.replace(/\/+$/, "");
}

// The useful part (ECONNREFUSED, ENOTFOUND, ...) is the error's code, sometimes on its cause.
function networkReason(err: unknown): string {
  let current: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("UND_ERR")) return code;
    deepest = current.message || deepest;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return deepest;
}

function toApiError(status: number, text: string): ApiError {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (error && typeof error === "object") {
      const { code, message, details } = error as Record<string, unknown>;
      if (typeof code === "string" && typeof message === "string") {
        const detailMap =
          details && typeof details === "object" ? (details as Record<string, unknown>) : undefined;
        return new ApiError(status, code, message, detailMap);
      }
    }
  } catch {
    // Not the platform's envelope (a proxy page, say); fall through to a generic line.
  }
  return new ApiError(status, "http_error", `platform answered with HTTP ${status}`);
}
