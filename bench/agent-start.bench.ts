/**
 * The shipped agent against today's development start, side by side in one run
 * (`npm run bench -- agent-start`):
 *
 *   baseline  `node bin/tether.js agent up` in a checkout: tsx compiles the TypeScript at start
 *   bundle    `TETHER_USE_DIST=1 node bin/tether.js agent up`: dist/tether.mjs from `npm run build`
 *
 * For each, in alternating order over ROUNDS rounds against one local platform and one hub agent:
 * the time from spawning the process to its "up" line (registered with a fresh identity and the
 * first heartbeat answered), and the RSS of the agent idle with 1 peer (the hub, reached through
 * the tunnel), read IDLE_MS after it is up. Then the image from `npm run image`: its size.
 * Targets: RSS <= 0.6x, start <= 0.5x.
 */
import { readFileSync } from "node:fs";
import { buildBundle } from "../scripts/build.ts";
import { buildImage } from "../scripts/image/build-image.ts";
import { createCluster } from "../test/helpers/admin-api.ts";
import { type AgentProcess, startAgent, waitFor } from "../test/helpers/agent-process.ts";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";
import { median } from "./interleaved-rounds.ts";

const ROUNDS = Number(process.env.TETHER_BENCH_ROUNDS ?? 5);
const IDLE_MS = 5_000;
const VARIANTS = {
  tsx: {},
  bundle: { TETHER_USE_DIST: "1" },
} as const;
type Variant = keyof typeof VARIANTS;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error("no VmRSS");
  return Number(m[1]) / 1024;
}

async function once(platform: Platform, hub: AgentProcess, variant: Variant, psk: string) {
  const spawnedAt = performance.now();
  const agent = await startAgent({
    platform: platform.url,
    cluster: variant,
    psk,
    heartbeatSeconds: 5,
    env: { ...VARIANTS[variant] },
    // Every round registers again with a fresh key; the platform wants the same physical cluster.
    args: ["--cluster-uid", `bench-${variant}`],
  });
  const startMs = performance.now() - spawnedAt;
  try {
    await waitFor(
      `hub reaches ${variant} through the tunnel`,
      async () => (await hub.ping({ target: variant, count: 1, timeoutMs: 1_000 })).received === 1,
      20_000,
    );
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { startMs, rssMiB: rssMiB(agent.child.pid!) };
  } finally {
    // A fresh state dir every round: each start registers anew.
    await agent.stop(true);
  }
}

async function main() {
  await buildBundle();
  console.log("starting a local platform (wrangler dev + local D1)...");
  const platform = await startPlatform();
  let hub: AgentProcess | null = null;
  try {
    const psks = {
      hub: await createCluster(platform, "hub", true),
      tsx: await createCluster(platform, "tsx"),
      bundle: await createCluster(platform, "bundle"),
    };
    hub = await startAgent({ platform: platform.url, cluster: "hub", psk: psks.hub });
    const samples: Record<Variant, { startMs: number; rssMiB: number }[]> = { tsx: [], bundle: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Variant[] = round % 2 === 0 ? ["tsx", "bundle"] : ["bundle", "tsx"];
      for (const v of order) samples[v].push(await once(platform, hub, v, psks[v]));
      console.log(
        `round ${round + 1}/${ROUNDS}: ` +
          (["tsx", "bundle"] as const)
            .map(
              (v) =>
                `${v} ${samples[v][round]!.startMs.toFixed(0)} ms ${samples[v][round]!.rssMiB.toFixed(1)} MiB`,
            )
            .join(", "),
      );
    }
    const ratio = (key: "startMs" | "rssMiB") =>
      median(samples.bundle.map((s, i) => s[key] / samples.tsx[i]![key]));
    const med = (v: Variant, key: "startMs" | "rssMiB") => median(samples[v].map((s) => s[key]));

    console.log("building the image (npm run image)...");
    const image = await buildImage();

    const rows = [
      ["start to registered (ms)", med("tsx", "startMs"), med("bundle", "startMs"), ratio("startMs"), 0.5],
      ["idle RSS, 1 peer (MiB)", med("tsx", "rssMiB"), med("bundle", "rssMiB"), ratio("rssMiB"), 0.6],
    ] as const;
    console.log(`\nagent up, tsx (baseline) vs the bundle, medians of ${ROUNDS} rounds\n`);
    console.log("metric                      tsx      bundle   ratio   target");
    for (const [name, a, b, r, target] of rows)
      console.log(
        `${name.padEnd(26)} ${a.toFixed(1).padStart(7)}  ${b.toFixed(1).padStart(7)}   ${r.toFixed(2)}x  <= ${target}x ${r <= target ? "ok" : "MISSED"}`,
      );
    const MiB = 1024 * 1024;
    console.log(
      `\nimage ${image.tag}: ${(image.blobBytes / MiB).toFixed(1)} MiB compressed (layout blobs), ${(image.rootfsBytes / MiB).toFixed(1)} MiB unpacked`,
    );
    console.log(
      `BENCH_JSON ${JSON.stringify({
        baseline: "node bin/tether.js agent up through tsx",
        rounds: ROUNDS,
        tsxStartMs: Math.round(med("tsx", "startMs")),
        bundleStartMs: Math.round(med("bundle", "startMs")),
        startRatio: Number(ratio("startMs").toFixed(3)),
        tsxRssMiB: Number(med("tsx", "rssMiB").toFixed(1)),
        bundleRssMiB: Number(med("bundle", "rssMiB").toFixed(1)),
        rssRatio: Number(ratio("rssMiB").toFixed(3)),
        imageCompressedBytes: image.blobBytes,
        imageRootfsBytes: image.rootfsBytes,
      })}`,
    );
  } finally {
    await hub?.stop(true);
    await platform.stop();
  }
}

await main();
