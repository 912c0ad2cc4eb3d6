import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { ControlChannel } from "../durable-objects/control-channel.ts";
import type { PairRelay } from "../durable-objects/pair-relay.ts";
import type { AccessKeyScope } from "../protocol/api.ts";
import type * as schema from "./db/schema.ts";

export interface Bindings {
  DB: D1Database;
  /** One Durable Object per pair of agents (docs/architecture.md, "Platform and relay"); reached only through /relay/<peer>. */
  RELAY: DurableObjectNamespace<PairRelay>;
  /** One Durable Object per cluster holding its agent's control channel; reached only through /api/v1/agent/control. */
  CONTROL: DurableObjectNamespace<ControlChannel>;
  /** Always accepted as an admin access key (bootstrap). */
  ADMIN_ACCESS_KEY?: string;
  TETHER_VERSION?: string;
  /**
   * "1" only on a local platform (`tether dev` sets it; so do the Worker tests). There, and only
   * there, connect commands may name the URL the request came in on when no platformUrl is set.
   */
  TETHER_DEV?: string;
  /** "1" only for `npm run bench -- fleet`: counts D1 rows and serves GET /__bench/counters. */
  TETHER_BENCH_COUNTERS?: string;
}

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}

export interface AccessKeyPrincipal {
  kind: "access-key";
  /** null for the ADMIN_ACCESS_KEY bootstrap key, which has no row. */
  id: string | null;
  scope: AccessKeyScope;
  /** The one cluster a cluster-values:read key may read; null for the other scopes. */
  cluster: string | null;
}

export interface AgentPrincipal {
  kind: "agent";
  cluster: string;
  publicKey: string;
  /** The agent's row as the request found it (the heartbeat compares what changed against it). */
  row: typeof schema.agents.$inferSelect;
}

export interface Variables {
  db: DrizzleD1Database<typeof schema>;
  /** One timestamp per request (ms), so every check in a request agrees on "now". */
  now: number;
  /** The request body, read once under the size limit. */
  body: Uint8Array;
  accessKey: AccessKeyPrincipal;
  agent: AgentPrincipal;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
