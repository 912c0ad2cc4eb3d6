/**
 * Values endpoint throughput against a trivial route on the same local
 * platform, in the same run: `GET /clusters/NAME?token=K` (effective values,
 * which reads D1 and Helm-merges two YAML layers) and its older URL form,
 * each compared with `GET /version`. Target: >= 0.5x of the trivial route.
 *
 *   node --import tsx bench/values.bench.ts
 */
import { Agent, request } from "node:http";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";

const CONCURRENCY = 16;
const WARMUP_MS = 1_500;
const MEASURE_MS = 5_000;
const ROUNDS = 2; // alternate routes so drift (thermal, neighbours) hits both sides alike

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Target {
  url: URL;
  headers?: Record<string, string>;
}

function get(target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target.url, { agent, method: "GET", headers: target.headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function load(url: Target, durationMs: number): Promise<Result> {
  const result: Result = { requests: 0, errors: 0, seconds: durationMs / 1000, latenciesMs: [] };
  const deadline = performance.now() + durationMs;
  const loop = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      try {
        const status = await get(url);
        if (status === 200) result.requests++;
        else result.errors++;
      } catch {
        result.errors++;
      }
      result.latenciesMs.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return result;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function api(platform: Platform, method: string, path: string, body?: unknown, contentType?: string) {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.adminKey}`,
      ...(body === undefined ? {} : { "content-type": contentType ?? "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

async function main() {
  console.log("starting a local platform (wrangler dev + local D1)...");
  const platform = await startPlatform();
  try {
    await api(
      platform,
      "PUT",
      "/api/v1/config/agent-values",
      [
        "logLevel: info",
        "relay:",
        "  mode: auto",
        "  keepalive: 25",
        "mtu: 1380",
        "expose:",
        ...Array.from({ length: 20 }, (_, i) => `  - service-${i}.internal:${8000 + i}`),
        "",
      ].join("\n"),
      "application/yaml",
    );
    await api(platform, "POST", "/api/v1/clusters", {
      name: "bench",
      displayName: "Bench",
      annotations: { "loft.sh/agent-values": "relay:\n  keepalive: 10\nmtu: 1280\nlogLevel: null\n" },
    });
    const created = (await api(platform, "POST", "/api/v1/access-keys", {
      name: "bench-values",
      scope: "values:read",
    })) as { key: string };
    const token = encodeURIComponent(created.key);

    const routes: Record<string, Target> = {
      "GET /version (baseline)": { url: new URL(`${platform.url}/version`) },
      "GET /clusters/NAME?token=K": { url: new URL(`${platform.url}/clusters/bench?token=${token}`) },
      "GET /clusters/agent-values/NAME?token=K": {
        url: new URL(`${platform.url}/clusters/agent-values/bench?token=${token}`),
      },
      // Diagnostics, not part of the target: the same values read with the bootstrap admin key (no
      // access-key row lookup), and a plain D1-backed admin read, to show where the time goes.
      "  values, ?token=ADMIN_ACCESS_KEY": {
        url: new URL(`${platform.url}/clusters/bench?token=${encodeURIComponent(platform.adminKey)}`),
      },
      "  GET /api/v1/clusters/NAME (admin)": {
        url: new URL(`${platform.url}/api/v1/clusters/bench`),
        headers: { authorization: `Bearer ${platform.adminKey}` },
      },
    };
    for (const [label, url] of Object.entries(routes)) {
      const status = await get(url);
      if (status !== 200) throw new Error(`${label} answered ${status}`);
    }

    const totals = new Map<string, Result>();
    for (const url of Object.values(routes)) await load(url, WARMUP_MS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, url] of Object.entries(routes)) {
        const r = await load(url, MEASURE_MS);
        const t = totals.get(label) ?? { requests: 0, errors: 0, seconds: 0, latenciesMs: [] };
        t.requests += r.requests;
        t.errors += r.errors;
        t.seconds += r.seconds;
        t.latenciesMs.push(...r.latenciesMs);
        totals.set(label, t);
      }
    }

    const baselineLabel = "GET /version (baseline)";
    const baseline = totals.get(baselineLabel)!;
    const baselineRps = baseline.requests / baseline.seconds;
    const rows = [...totals].map(([label, t]) => {
      const sorted = [...t.latenciesMs].sort((a, b) => a - b);
      const rps = t.requests / t.seconds;
      return {
        label,
        rps,
        ratio: rps / baselineRps,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        errors: t.errors,
      };
    });

    console.log(
      `\nvalues endpoint vs trivial route: ${CONCURRENCY} keep-alive loops, ${ROUNDS} x ${MEASURE_MS / 1000} s per route, same server\n`,
    );
    const header = ["route", "req/s", "ratio", "p50 ms", "p99 ms", "errors"];
    const table = rows.map((r) => [
      r.label,
      r.rps.toFixed(0),
      `${r.ratio.toFixed(2)}x`,
      r.p50.toFixed(2),
      r.p99.toFixed(2),
      String(r.errors),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
    const fmt = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    console.log(fmt(header));
    for (const row of table) console.log(fmt(row));
    const effective = rows.find((r) => r.label.startsWith("GET /clusters/NAME"))!;
    const older = rows.find((r) => r.label.startsWith("GET /clusters/agent-values"))!;
    console.log(`\ntarget >= 0.5x, goal >= 0.8x: effective values at ${effective.ratio.toFixed(2)}x`);
    console.log(
      `BENCH_JSON ${JSON.stringify({
        baseline: "GET /version",
        concurrency: CONCURRENCY,
        secondsPerRoute: (MEASURE_MS / 1000) * ROUNDS,
        versionRps: Math.round(baselineRps),
        valuesRps: Math.round(effective.rps),
        olderFormRps: Math.round(older.rps),
        ratio: Number(effective.ratio.toFixed(3)),
        olderFormRatio: Number(older.ratio.toFixed(3)),
        errors: rows.reduce((n, r) => n + r.errors, 0),
        target: 0.5,
      })}`,
    );
  } finally {
    agent.destroy();
    await platform.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`values bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
