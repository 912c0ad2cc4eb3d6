#!/usr/bin/env node
// Two ways to run the CLI: the bundle (dist/tether.mjs from `npm run build`; what the npm package and
// the image ship, nothing compiled at run time) and the TypeScript sources through tsx (a checkout).
// In a checkout the sources win unless TETHER_USE_DIST=1, so a stale dist/ never hides an edit; an
// installed package has no sources and always runs the bundle.
import { existsSync } from "node:fs";

const source = new URL("../agent/cli/main.ts", import.meta.url);
const bundle = new URL("../dist/tether.mjs", import.meta.url);

if (process.env.TETHER_USE_DIST === "1" || !existsSync(source)) {
  if (!existsSync(bundle)) {
    process.stderr.write("tether: dist/tether.mjs is missing; run `npm run build` first\n");
    process.exit(1);
  }
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
}
