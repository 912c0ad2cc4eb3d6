import { describe, expect, it } from "vitest";
import type { CliIo } from "./context.ts";
import { runCli } from "./program.ts";

// Only paths that fail before any network call run in-process; everything that
// talks to the platform is covered end to end in test/e2e/cli.test.ts.
async function run(argv: string[], overrides: Partial<CliIo> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => "",
    stdinIsTty: false,
    env: {},
    ...overrides,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("runCli usage errors", () => {
  it("rejects an unknown command with exit 2 and one line", async () => {
    const r = await run(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("tether: unknown command 'frobnicate'\n");
  });

  it("suggests the closest subcommand", async () => {
    const r = await run(["cluster", "lst"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("tether: unknown command 'lst' (Did you mean list?)\n");
  });

  it("requires --display-name for cluster add", async () => {
    const r = await run(["cluster", "add", "x", "--access-key", "k"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: "tether: required option '--display-name <text>' not specified\n",
    });
  });

  it("refuses a bad --health-listen before starting the agent", async () => {
    const r = await run(["agent", "up", "--cluster", "x", "--health-listen", "8080"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: 'tether: --health-listen takes HOST:PORT, [IPv6]:PORT or :PORT (got "8080")\n',
    });
  });

  it("validates --limit", async () => {
    const r = await run(["cluster", "list", "--limit", "101", "--access-key", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected an integer from 1 to 100");
  });

  it("validates --source", async () => {
    const r = await run(["values", "get", "x", "--source", "nope", "--access-key", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are platform-config, cluster-annotation");
  });

  it("asks for an access key before calling the platform", async () => {
    const r = await run(["cluster", "list"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: "tether: no access key: pass --access-key KEY or set TETHER_ACCESS_KEY\n",
    });
  });

  it("refuses to delete without --yes when stdin is not a terminal", async () => {
    const r = await run(["cluster", "delete", "prod", "--access-key", "k"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: 'tether: refusing to delete cluster "prod" without --yes (stdin is not a terminal)\n',
    });
  });

  it("needs values from a file or a pipe", async () => {
    const r = await run(["values", "set", "--access-key", "k"], { stdinIsTty: true });
    expect(r).toMatchObject({
      code: 2,
      stderr: "tether: no values given: pass --file FILE or pipe YAML on stdin\n",
    });
  });

  it("reports an unreadable --file as a usage error", async () => {
    const r = await run(["values", "set", "--file", "/nonexistent/v.yaml", "--access-key", "k"]);
    expect(r).toMatchObject({ code: 2, stderr: "tether: cannot read --file /nonexistent/v.yaml: ENOENT\n" });
  });

  it("prints the version and help with exit 0", async () => {
    expect(await run(["--version"])).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: tether");
  });
});
