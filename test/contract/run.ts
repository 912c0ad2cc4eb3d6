// Runs schemathesis against a real local platform (see run.sh). Three passes, one per kind of
// credential, so every operation is exercised as its real caller: the agent's endpoints with an
// agent credential, the values endpoints with a values:read key, the rest as admin (last, since
// it deletes what it finds).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform } from "../helpers/platform.ts";

interface Pass {
  name: string;
  token: string;
  include: string;
  exclude?: string;
}

const CHECKS =
  "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance";

async function api<T>(url: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Runs in `cwd` (a temp dir): schemathesis keeps a cache directory wherever it starts. */
function runSchemathesis(args: string[], cwd: string): Promise<number> {
  const bin = process.env.SCHEMATHESIS_BIN ?? "st";
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: "inherit", cwd });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function requestsIn(harFile: string): Promise<number> {
  const har = JSON.parse(await readFile(harFile, "utf8")) as { log: { entries: unknown[] } };
  return har.log.entries.length;
}

async function main(): Promise<void> {
  const maxExamples = process.env.CONTRACT_MAX_EXAMPLES ?? "25";
  const platform = await startPlatform();
  const reports = await mkdtemp(join(tmpdir(), "tether-contract-"));
  let failedPasses = 0;
  let requests = 0;
  try {
    const admin = platform.adminKey;
    const values = await api<{ key: string }>(platform.url, admin, "POST", "/api/v1/access-keys", {
      name: "contract values",
      scope: "values:read",
    });
    const created = await api<{ psk: string; cluster: { name: string } }>(
      platform.url,
      admin,
      "POST",
      "/api/v1/clusters",
      { displayName: "Contract", name: "contract-a" },
    );
    const publicKey = Buffer.alloc(32, 7).toString("base64");
    const agent = await api<{ credential: string }>(platform.url, admin, "POST", "/api/v1/agent/register", {
      cluster: created.cluster.name,
      psk: created.psk,
      publicKey,
      clusterUid: "contract-uid",
      version: "0.1.0",
    });
    const passes: Pass[] = [
      { name: "agent", token: agent.credential, include: "^/api/v1/agent/" },
      { name: "values", token: values.key, include: "^/clusters/" },
      { name: "admin", token: admin, include: "^/api/v1/(access-keys|clusters|config)" },
    ];
    for (const pass of passes) {
      const har = join(reports, `${pass.name}.har`);
      console.log(`\n==== schemathesis: ${pass.name} credential, paths ${pass.include} ====`);
      const code = await runSchemathesis(
        [
          "run",
          `${platform.url}/api/v1/openapi.json`,
          "--url",
          platform.url,
          "--header",
          `Authorization: Bearer ${pass.token}`,
          "--include-path-regex",
          pass.include,
          "--checks",
          CHECKS,
          "--max-examples",
          maxExamples,
          "--workers",
          "1",
          "--no-color",
          "--generation-database",
          "none",
          "--suppress-health-check",
          "all",
          "--report",
          "har",
          "--report-har-path",
          har,
        ],
        reports,
      );
      const made = await requestsIn(har).catch(() => 0);
      requests += made;
      console.log(
        `pass ${pass.name}: ${made} requests, ${code === 0 ? "no findings" : `FAILED (exit ${code})`}`,
      );
      if (code !== 0) failedPasses++;
    }
  } finally {
    await platform.stop();
    await rm(reports, { recursive: true, force: true });
  }
  console.log(`\nCONTRACT_SUMMARY requests=${requests} failed_passes=${failedPasses}`);
  if (failedPasses > 0) process.exitCode = 1;
}

await main();
