/**
 * With TETHER_USE_DIST=1 every end-to-end test runs `bin/tether.js` on the bundle; build it first so
 * it is never stale.
 */
import { buildBundle } from "../../scripts/build.ts";

export default async function setup(): Promise<void> {
  if (process.env.TETHER_USE_DIST === "1") await buildBundle();
}
