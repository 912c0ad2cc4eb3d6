/**
 * What Cloudflare bills, counted in this isolate: Worker requests, Durable Object requests and
 * incoming WebSocket messages, D1 rows read and written. Plain in-memory counters (an increment
 * each); they are shown only where TETHER_BENCH_COUNTERS=1 (GET /__bench/counters, for
 * `npm run bench -- fleet` against a local platform). D1 rows are counted only in that mode,
 * because counting a read costs a second execution of it (see counting-d1.ts).
 */
export interface UsageCounters {
  workerRequests: number;
  doRequests: number;
  doWebSocketMessagesIn: number;
  doWebSocketMessagesOut: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
}

export const usage: UsageCounters = {
  workerRequests: 0,
  doRequests: 0,
  doWebSocketMessagesIn: 0,
  doWebSocketMessagesOut: 0,
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
};

export function countD1(meta: { rows_read?: number; rows_written?: number } | undefined): void {
  usage.d1Queries++;
  usage.d1RowsRead += meta?.rows_read ?? 0;
  usage.d1RowsWritten += meta?.rows_written ?? 0;
}

export function benchCountersEnabled(env: { TETHER_BENCH_COUNTERS?: string | undefined }): boolean {
  return env.TETHER_BENCH_COUNTERS === "1";
}
