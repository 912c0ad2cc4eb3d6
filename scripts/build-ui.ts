/**
 * Bundles the web UI's browser modules (worker/ui/browser/, entry main.ts) with esbuild into one
 * script and writes it as a TypeScript module exporting APP_JS, which the Worker serves at
 * /ui/assets/app.js. The output is generated (git-ignored) and rebuilt by `npm run build:ui`,
 * wrangler's [build] command (so `npm start`, `npm run deploy` and every local platform a test
 * starts build it), `npm run typecheck`, and the workerd test project's config.
 *
 * Run: node --import tsx scripts/build-ui.ts
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { writeGenerated } from "./write-generated.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BROWSER_DIR = join(ROOT, "worker", "ui", "browser");
export const UI_ENTRY = join(BROWSER_DIR, "main.ts");
export const UI_OUTPUT = join(ROOT, "worker", "ui", "generated", "app-script.ts");

/** The page's whole script, as the browser gets it. */
export async function bundleUi(): Promise<string> {
  const result = await build({
    entryPoints: [UI_ENTRY],
    tsconfig: join(BROWSER_DIR, "tsconfig.json"),
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    // Chromium, Firefox and Safari of the last two years; nothing here needs down-levelling.
    target: "es2022",
    charset: "utf8",
    legalComments: "none",
    // Not minified: the script is small, served from the same origin, and readable in devtools.
    // Strict mode comes from the modules themselves ("use strict" heads the bundle).
    logLevel: "silent",
  });
  const [file] = result.outputFiles;
  if (file === undefined) throw new Error("esbuild produced no output for the web UI");
  return file.text;
}

/** The module the Worker imports: one exported string. */
export function assetModule(script: string): string {
  return [
    `// Generated from ${relative(ROOT, BROWSER_DIR)}/ by ${relative(ROOT, fileURLToPath(import.meta.url))}; do not edit.`,
    `export const APP_JS: string = ${JSON.stringify(script)};`,
    "",
  ].join("\n");
}

/**
 * Writes the module when its text changed. Several local platforms may build at once (the tests
 * start many), so the file is replaced by a rename, never seen half-written, and an unchanged file
 * is left alone so running `wrangler dev` watchers see nothing to reload.
 */
export async function buildUi(): Promise<{ path: string; changed: boolean; bytes: number }> {
  const script = await bundleUi();
  const text = assetModule(script);
  return { path: UI_OUTPUT, changed: await writeGenerated(UI_OUTPUT, text), bytes: script.length };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { path, changed, bytes } = await buildUi();
    console.log(
      `web UI: ${relative(ROOT, path)} ${changed ? "written" : "unchanged"} (${bytes} bytes of script)`,
    );
  } catch (err) {
    console.error(`web UI build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
