/**
 * `npm run build`: bundles the CLI and the agent into one ES module, dist/tether.mjs, so nothing is
 * compiled at run time and the npm package and the image need no node_modules. Every dependency is
 * bundled (the WebAssembly AEAD is already a base64 TypeScript module). wrangler is not: `tether dev`
 * resolves it from a checkout at run time (agent/cli/checkout.ts).
 */
import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = join(root, "dist", "tether.mjs");

export async function buildBundle(outfile = BUNDLE): Promise<{ bytes: number }> {
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [join(root, "agent", "cli", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    // Bundled CommonJS (commander, ws) calls require() for Node built-ins, which an ES module lacks.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __tetherRequire } from "node:module"; const require = __tetherRequire(import.meta.url);',
    },
    // ws loads these native speed-ups when present and works without them.
    external: ["bufferutil", "utf-8-validate"],
  });
  await chmod(outfile, 0o755);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bytes } = await buildBundle();
  console.log(`built ${BUNDLE} (${(bytes / 1024).toFixed(0)} KiB)`);
}
