// The JSON API client. Response types come from protocol/; the platform is the one that validates,
// so the page trusts the shapes its own Worker answers with rather than shipping a validator.
import type { ApiErrorBody, Cluster, ListClustersResponse } from "../../../protocol/api.ts";
import { signOut, storedKey } from "./session.ts";

type ErrorDetails = NonNullable<ApiErrorBody["error"]["details"]>;

export class ApiError extends Error {
  readonly details: ErrorDetails;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details?: ErrorDetails,
  ) {
    super(message);
    this.details = details ?? {};
  }
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiOptions {
  /** Sent as JSON; call sites mark it with `satisfies` the protocol's request type. */
  json?: unknown;
  yaml?: string;
  accept?: string;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = value.error;
  return typeof error === "object" && error !== null && "code" in error && "message" in error;
}

/** One request with the given key; any non-2xx answer becomes an ApiError with the platform's message. */
export async function apiFetch<T>(
  key: string,
  method: Method,
  path: string,
  options: ApiOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.yaml !== undefined) {
    headers["content-type"] = "application/yaml";
    body = options.yaml;
  }
  if (options.accept) headers.accept = options.accept;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(0, "network", "The platform did not answer; is it running?");
  }
  if (!res.ok) {
    let error: ApiErrorBody["error"] = {
      code: `http_${res.status}`,
      message: `The platform answered HTTP ${res.status}.`,
    };
    try {
      const parsed: unknown = await res.json();
      if (isErrorBody(parsed)) error = parsed.error;
    } catch {}
    throw new ApiError(res.status, error.code, error.message, error.details);
  }
  // 204 carries no body; the callers that get one ask for `null`.
  if (res.status === 204) return null as T;
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : await res.text()) as T;
}

/** An admin API call with the signed-in key; a refused key signs the user out. */
export async function api<T>(method: Method, path: string, options?: ApiOptions): Promise<T> {
  const key = storedKey();
  if (!key) {
    signOut("Sign in to continue.");
    throw new ApiError(401, "missing_credential", "Not signed in.");
  }
  try {
    return await apiFetch<T>(key, method, path, options);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut("The access key was refused; sign in again.");
    throw err;
  }
}

/** Every cluster, following the list's pages. */
export async function listClusters(): Promise<Cluster[]> {
  const items: Cluster[] = [];
  let cursor = "";
  for (let page = 0; page < 100; page++) {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const res = await api<ListClustersResponse>("GET", `/api/v1/clusters?limit=100${query}`);
    items.push(...res.items);
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return items;
}

export function clusterPath(name: string): string {
  return `/api/v1/clusters/${encodeURIComponent(name)}`;
}

/** The message of anything a handler caught: ours carry the platform's words. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
