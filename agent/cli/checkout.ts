/**
 * Where the Tether repository is, for the commands that need its sources (`tether dev` runs the Worker
 * with wrangler). The CLI runs from three places: the TypeScript sources (agent/cli/), the bundle in a
 * checkout (dist/), and the bundle in an installed npm package or the image, which has no Worker
 * sources. So walk up from this module to the first directory that holds wrangler.toml and the
 * Worker's entry; an installed package finds none.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const NO_CHECKOUT_MESSAGE =
  "tether dev runs the platform from a checkout of the Tether repository (it needs wrangler and the Worker " +
  "sources, which the installed package does not carry); clone the repository and run `npm start` there";

export function findCheckout(from: string = fileURLToPath(import.meta.url)): string | null {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, "wrangler.toml")) && existsSync(join(dir, "worker", "index.ts"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The checkout's root; throws the message above when this CLI runs from an installed package. */
export function checkoutRoot(): string {
  const root = findCheckout();
  if (root === null) throw new Error(NO_CHECKOUT_MESSAGE);
  return root;
}
