/**
 * Runs every bench/*.bench.ts in its own Node process, one after another, so
 * that one benchmark's garbage and JIT state never colour the next. Each bench
 * prints its own table and a final `BENCH_JSON {...}` line; this collects the
 * JSON lines into one summary at the end.
 *
 *   npm run bench               # all
 *   npm run bench -- wireguard  # only benches whose file name contains "wireguard"
 *   npm run bench -- relay      # a filter that names a bench exactly runs that one alone
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith(".bench.ts"));
const exact = (x: string) => all.includes(`${x}.bench.ts`);
const files = all
  .filter(
    (f) => filters.length === 0 || filters.some((x) => (exact(x) ? f === `${x}.bench.ts` : f.includes(x))),
  )
  .sort();

const summary: Record<string, unknown> = {};
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, file)], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("BENCH_JSON "))
      summary[file.replace(/\.bench\.ts$/, "")] = JSON.parse(line.slice(11));
    else if (line.length > 0) console.log(line);
  }
  if (r.status !== 0) {
    failed++;
    console.log(`!! ${file} exited with ${r.status}`);
  }
}
console.log("\n=== summary (JSON) ===");
console.log(JSON.stringify(summary, null, 2));
process.exit(failed === 0 ? 0 : 1);
