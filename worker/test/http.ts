import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import type { AccessKeyScope, CreateClusterResponse, RegisterResponse } from "../../protocol/api.ts";

export const BASE = "http://platform.test";

export function adminKey(): string {
  const key = env.ADMIN_ACCESS_KEY;
  if (key === undefined) throw new Error("ADMIN_ACCESS_KEY binding missing from vitest.workers.config.ts");
  return key;
}

export interface CallOptions {
  token?: string | null;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

/** A request through the Worker's real fetch entry point, authenticated as the bootstrap admin unless told otherwise. */
export function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? adminKey() : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return SELF.fetch(`${BASE}${path}`, { method, headers, body });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Asserts nothing itself; returns status and the parsed error so tests can assert both in one expect. */
export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = await json<ErrorJson>(res);
  return { status: res.status, code: body.error.code, message: body.error.message };
}

let counter = 0;
/** A cluster name unique within this test run, so test files never collide on shared D1 state. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.floor(Math.random() * 1e6).toString(36)}`.slice(
    0,
    63,
  );
}

export async function createCluster(
  body: Record<string, unknown> & { displayName?: string },
): Promise<CreateClusterResponse> {
  const res = await call("POST", "/api/v1/clusters", { json: { displayName: "Test", ...body } });
  if (res.status !== 201) throw new Error(`create cluster failed: ${res.status} ${await res.text()}`);
  return json<CreateClusterResponse>(res);
}

export async function createAccessKey(
  scope: AccessKeyScope,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call("POST", "/api/v1/access-keys", { json: { name: `k-${scope}`, scope, ...extra } });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${await res.text()}`);
  return (await json<{ key: string }>(res)).key;
}

/** A random, well-formed WireGuard public key (the platform never needs the private half). */
export function randomPublicKey(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

export async function registerAgent(
  cluster: string,
  psk: string,
  extra: Record<string, unknown> = {},
): Promise<RegisterResponse & { publicKey: string }> {
  const publicKey = typeof extra.publicKey === "string" ? extra.publicKey : randomPublicKey();
  const res = await call("POST", "/api/v1/agent/register", {
    token: null,
    json: { cluster, psk, publicKey, clusterUid: `uid-${cluster}`, version: "0.1.0", ...extra },
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return { ...(await json<RegisterResponse>(res)), publicKey };
}

/**
 * Like call(), but through an app whose clock reads `nowMs`: how tests move time
 * (expiry, the online window, the rate-limit window) without sleeping.
 */
export async function callAt(
  nowMs: number,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const { createApp } = await import("../app.ts");
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? adminKey() : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return createApp({ now: () => nowMs }).request(`${BASE}${path}`, { method, headers, body }, env);
}

/**
 * Like call(), but through the Worker's entry with an ExecutionContext, and
 * resolves only once the work the request left under waitUntil has finished
 * (last-use writes): how tests see background writes without sleeping.
 */
export async function callAndSettle(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const { default: worker } = await import("../index.ts");
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? adminKey() : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}${path}`, { method, headers, body: options.body }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** Removes any local:true cluster so a test can create its own primary. */
export async function clearLocalClusters(): Promise<void> {
  const { results } = await env.DB.prepare("select name from clusters where local = 1").all<{
    name: string;
  }>();
  for (const row of results) await call("DELETE", `/api/v1/clusters/${row.name}`);
}

export async function putConfig(yaml: string): Promise<void> {
  const res = await call("PUT", "/api/v1/config", {
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  if (res.status !== 200) throw new Error(`put config failed: ${res.status} ${await res.text()}`);
}

/** Body as UTF-8 text; workerd warns when .text() meets a non-text type such as application/yaml. */
export async function bodyText(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer());
}
