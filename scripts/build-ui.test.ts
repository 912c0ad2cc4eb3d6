import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { clusterNameProblem } from "../protocol/cluster-name.ts";
import { assetModule, buildUi, bundleUi, UI_OUTPUT } from "./build-ui.ts";

describe("the web UI bundle", () => {
  it("is one strict classic script: no module syntax, no other origin, no validation library", async () => {
    const script = await bundleUi();
    expect(script.startsWith('"use strict";\n(() => {')).toBe(true);
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(script).not.toMatch(/https?:\/\//);
    // The page trusts its own Worker's answers; zod stays on the server.
    expect(script).not.toMatch(/\bzod\b|ZodError/);
  });

  it("carries the one clusterNameProblem, the same function the Worker uses", async () => {
    const script = await bundleUi();
    expect(script.match(/function clusterNameProblem\(/g)).toHaveLength(1);
    const source = clusterNameProblem.toString();
    expect(source.startsWith("function clusterNameProblem(")).toBe(true);
    expect(script).toContain('if (/[A-Z]/.test(name)) return "Use lowercase letters only.";');
  });

  it("writes a module whose APP_JS is exactly the bundle, and leaves an unchanged file alone", async () => {
    const first = await buildUi();
    const second = await buildUi();
    expect(second).toEqual({ path: UI_OUTPUT, changed: false, bytes: first.bytes });
    const text = await readFile(UI_OUTPUT, "utf8");
    expect(text).toBe(assetModule(await bundleUi()));
    const literal = /^export const APP_JS: string = (".*");$/m.exec(text)?.[1];
    expect(JSON.parse(literal ?? "null")).toBe(await bundleUi());
  });
});
