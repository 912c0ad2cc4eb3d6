/**
 * The `tether` CLI end to end: the real bin/tether.js as a child process
 * against a real local platform (wrangler dev + local D1) on a free port.
 * Tests run in order and build on each other's clusters.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { freePort } from "../helpers/free-port.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { recordPrintedCommand } from "../helpers/printed-command.ts";
import { type CliResult, type RunCliOptions, runTether } from "../helpers/run-cli.ts";

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

let platform: Platform;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "tether-cli-e2e-"));
  platform = await startPlatform();
}, 200_000);

afterAll(async () => {
  await platform?.stop();
  await rm(workDir, { recursive: true, force: true });
}, 30_000);

function tether(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return runTether(["--platform", platform.url, "--access-key", platform.adminKey, ...args], opts);
}

function expectOk(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`tether exited ${r.code}: ${r.stderr}`);
  return r;
}

function expectOneErrorLine(r: CliResult, exitCode: number): string {
  expect(r.code).toBe(exitCode);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tether: /);
  expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
  return lines[0] ?? "";
}

async function writeTemp(name: string, text: string): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, text);
  return path;
}

interface SecretOutput {
  psk: string;
  valuesKey: string;
  helm: string;
  kubectl: string[];
  cli: string;
}

/** The secrets and the paste-ready commands out of `cluster add` / `rotate-psk` human output. */
function parseSecretOutput(stdout: string): SecretOutput {
  const psk = /^ {2}(tpsk_\S+)$/m.exec(stdout)?.[1];
  const valuesKey = /^Values key .*\n {2}(tak_\S+)$/m.exec(stdout)?.[1];
  const helm = /^ {2}(helm upgrade --install .*)$/m.exec(stdout)?.[1];
  const kubectl = [/^ {2}(kubectl create namespace .*)$/m, /^ {2}(helm template .*)$/m].map(
    (re) => re.exec(stdout)?.[1] ?? "",
  );
  const cli = /^ {2}(TETHER_PSK=\S+ tether agent up .*)$/m.exec(stdout)?.[1];
  if (!psk || !valuesKey || !helm || kubectl.includes("") || !cli)
    throw new Error(`unexpected output:\n${stdout}`);
  return { psk, valuesKey, helm, kubectl, cli };
}

/** The arguments a printed Helm command gives helm, after the release and chart. */
function helmSets(url: string, cluster: string, psk: string, valuesKey: string): string[] {
  return [
    "--set",
    `platform.url=${url}`,
    "--set",
    `cluster.name=${cluster}`,
    "--set",
    `cluster.psk=${psk}`,
    "--values",
    `${url}/clusters/agent-values/${cluster}?token=${valuesKey}`,
  ];
}

/** Runs the three printed forms through /bin/sh and checks what helm, kubectl and tether would get. */
async function expectCommandsMean(out: SecretOutput, cluster: string): Promise<void> {
  const chart = `${platform.url}/charts/tether-agent-0.1.0.tgz`;
  const sets = helmSets(platform.url, cluster, out.psk, out.valuesKey);
  expect(await recordPrintedCommand(out.helm, ["helm"])).toEqual([
    {
      program: "helm",
      argv: ["upgrade", "--install", "tether-agent", chart, "-n", "tether", "--create-namespace", ...sets],
      tetherPsk: null,
    },
  ]);
  expect(await recordPrintedCommand(out.kubectl.join("\n"), ["helm", "kubectl"])).toEqual([
    { program: "helm", argv: ["template", "tether-agent", chart, "-n", "tether", ...sets], tetherPsk: null },
    { program: "kubectl", argv: ["apply", "-f", "-"], tetherPsk: null },
    { program: "kubectl", argv: ["apply", "-n", "tether", "-f", "-"], tetherPsk: null },
    {
      program: "kubectl",
      argv: ["create", "namespace", "tether", "--dry-run=client", "-o", "yaml"],
      tetherPsk: null,
    },
  ]);
  expect(await recordPrintedCommand(out.cli, ["tether"])).toEqual([
    {
      program: "tether",
      argv: ["agent", "up", "--platform", platform.url, "--cluster", cluster],
      tetherPsk: out.psk,
    },
  ]);
}

describe("tether CLI against a local platform", () => {
  let generatedName = "";
  let stagingPsk = "";

  it("cluster add without a name generates a DNS-1123 name and prints a paste-ready connect command", async () => {
    const r = expectOk(await tether(["cluster", "add", "--display-name", "My Staging Cluster!"]));
    generatedName = /^Cluster "([^"]+)" created/m.exec(r.stdout)?.[1] ?? "";
    expect(generatedName).toMatch(/^my-staging-cluster-[a-z0-9]{5}$/);
    expect(generatedName).toMatch(DNS_1123_LABEL);
    expect(r.stdout).toMatch(/shown only once/);
    const out = parseSecretOutput(r.stdout);
    expect(out.psk).toMatch(/^tpsk_[A-Za-z0-9_-]{43,}$/);
    expect(out.valuesKey).toMatch(/^tak_[A-Za-z0-9_-]{43}$/);
    expect(r.stdout).not.toContain("npx");
    // Helm first, then the kubectl form, then the CLI.
    expect(r.stdout.indexOf(out.helm)).toBeLessThan(r.stdout.indexOf(out.kubectl[0] ?? ""));
    expect(r.stdout.indexOf(out.kubectl[1] ?? "")).toBeLessThan(r.stdout.indexOf(out.cli));
    await expectCommandsMean(out, generatedName);
  });

  it("cluster add NAME --json returns the cluster, the PSK and all connect forms", async () => {
    const r = expectOk(
      await tether([
        "cluster",
        "add",
        "staging",
        "--display-name",
        "Staging",
        "--description",
        "pre-prod",
        "--json",
      ]),
    );
    const created = JSON.parse(r.stdout) as {
      cluster: { name: string; displayName: string; description: string; meshIp: string };
      psk: string;
      valuesKey: string;
      connect: {
        helm: string;
        kubectl: string;
        cli: string;
        helmValues: string;
        chartUrl: string;
        valuesUrl: string;
      };
    };
    expect(created.cluster).toMatchObject({
      name: "staging",
      displayName: "Staging",
      description: "pre-prod",
    });
    expect(created.cluster.meshIp).toMatch(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    expect(created.connect.cli).toBe(
      `TETHER_PSK=${created.psk} tether agent up --platform ${platform.url} --cluster staging`,
    );
    expect(created.connect.chartUrl).toBe(`${platform.url}/charts/tether-agent-0.1.0.tgz`);
    expect(created.connect.valuesUrl).toBe(
      `${platform.url}/clusters/agent-values/staging?token=${created.valuesKey}`,
    );
    await expectCommandsMean(
      {
        psk: created.psk,
        valuesKey: created.valuesKey,
        helm: created.connect.helm,
        kubectl: created.connect.kubectl.split("\n"),
        cli: created.connect.cli,
      },
      "staging",
    );
    // The values URL in the command reads this cluster with its key, and only this cluster.
    expect((await fetch(created.connect.valuesUrl)).status).toBe(200);
    const other = await fetch(`${platform.url}/clusters/${generatedName}?token=${created.valuesKey}`);
    expect(other.status).toBe(403);
    await other.body?.cancel();
    expect(parseYaml(created.connect.helmValues)).toMatchObject({
      platform: { url: platform.url },
      cluster: { name: "staging", psk: created.psk },
    });
    stagingPsk = created.psk;
  });

  it("cluster add with a taken name fails with 409 in one line", async () => {
    const line = expectOneErrorLine(
      await tether(["cluster", "add", "staging", "--display-name", "Again"]),
      1,
    );
    expect(line).toMatch(/\(HTTP 409 [a-z_]+\)$/);
  });

  it("cluster add with an invalid name is rejected by the platform", async () => {
    const line = expectOneErrorLine(await tether(["cluster", "add", "Not_Valid", "--display-name", "x"]), 1);
    expect(line).toMatch(/\(HTTP (400|422) [a-z_]+\)$/);
  });

  it("cluster list prints a table with every cluster", async () => {
    expectOk(await tether(["cluster", "add", "prod", "--display-name", "Production", "--local"]));
    const r = expectOk(await tether(["cluster", "list"]));
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^NAME\s+DISPLAY NAME\s+LOCAL\s+PHASE\s+ONLINE\s+LAST SEEN\s+VERSION\s+MESH IP\s+PATHS$/,
    );
    const names = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([generatedName, "prod", "staging"].sort());
    expect(lines.find((l) => l.startsWith("staging "))).toMatch(
      /Staging\s+-\s+-\s+no\s+-\s+-\s+100\.\d+\.\d+\.\d+\s+-$/,
    );
    expect(lines.find((l) => l.startsWith("prod "))).toMatch(/Production\s+yes\s+-\s+no\s+/);
  });

  it("cluster list --json and --limit 1 follow every page to the same result", async () => {
    const all = JSON.parse(expectOk(await tether(["cluster", "list", "--json"])).stdout) as {
      items: { name: string }[];
    };
    const paged = JSON.parse(
      expectOk(await tether(["cluster", "list", "--json", "--limit", "1"])).stdout,
    ) as {
      items: { name: string }[];
    };
    expect(all.items.map((c) => c.name)).toEqual([generatedName, "prod", "staging"].sort());
    expect(paged.items).toEqual(all.items);
  });

  it("reads the platform and key from TETHER_PLATFORM and TETHER_ACCESS_KEY", async () => {
    const r = expectOk(
      await runTether(["cluster", "list", "--json"], {
        env: { TETHER_PLATFORM: platform.url, TETHER_ACCESS_KEY: platform.adminKey },
      }),
    );
    expect((JSON.parse(r.stdout) as { items: unknown[] }).items).toHaveLength(3);
  });

  it("cluster get shows key: value lines, and --json the raw object", async () => {
    const r = expectOk(await tether(["cluster", "get", "staging"]));
    expect(r.stdout).toMatch(/^Name:\s+staging$/m);
    expect(r.stdout).toMatch(/^Display name:\s+Staging$/m);
    expect(r.stdout).toMatch(/^Description:\s+pre-prod$/m);
    expect(r.stdout).toMatch(/^Online:\s+no$/m);
    const json = JSON.parse(expectOk(await tether(["cluster", "get", "prod", "--json"])).stdout) as {
      name: string;
      local: boolean;
      status: { phase: string; online: boolean };
    };
    expect(json).toMatchObject({ name: "prod", local: true, status: { phase: "", online: false } });
  });

  describe("values", () => {
    const platformValues = {
      logLevel: "info",
      relay: { mode: "auto", keepalive: 25 },
      stunServers: ["stun.internal:3478", "10.0.0.1:3478"],
      mtu: 1380,
    };
    const annotation =
      "relay:\n  keepalive: 10\n  mode: null\nstunServers:\n  - stun.other:3478\nmtu: 1280\n";
    // Helm merge: maps deep-merge, the annotation wins, lists are replaced whole, null deletes.
    const effective = {
      logLevel: "info",
      relay: { keepalive: 10 },
      stunServers: ["stun.other:3478"],
      mtu: 1280,
    };

    it("values set (no NAME) from stdin replaces the platform agentValues", async () => {
      expectOk(await tether(["values", "set"], { stdin: "logLevel: debug\n" }));
      const r = expectOk(await tether(["values", "get", "staging", "--source", "platform-config"]));
      expect(parseYaml(r.stdout)).toEqual({ logLevel: "debug" });
    });

    it("values set --file replaces them again", async () => {
      const file = await writeTemp("agent-values.yaml", JSON.stringify(platformValues));
      const r = expectOk(await tether(["values", "set", "--file", file]));
      expect(r.stdout).toBe("Platform agentValues updated.\n");
      const got = expectOk(await tether(["values", "get", "staging", "--source", "platform-config"]));
      expect(parseYaml(got.stdout)).toEqual(platformValues);
    });

    it("values set NAME from stdin sets the cluster annotation", async () => {
      const r = expectOk(await tether(["values", "set", "staging"], { stdin: annotation }));
      expect(r.stdout).toBe('Set the loft.sh/agent-values annotation on cluster "staging".\n');
      const got = expectOk(await tether(["values", "get", "staging", "--source", "cluster-annotation"]));
      expect(parseYaml(got.stdout)).toEqual(parseYaml(annotation));
    });

    it("values get prints the effective values: the Helm merge of both layers", async () => {
      const r = expectOk(await tether(["values", "get", "staging"]));
      expect(parseYaml(r.stdout)).toEqual(effective);
      const json = expectOk(await tether(["values", "get", "staging", "--json"]));
      expect(JSON.parse(json.stdout)).toEqual(effective);
    });

    it("a cluster without an annotation gets the platform agentValues and an empty annotation map", async () => {
      const eff = expectOk(await tether(["values", "get", "prod"]));
      expect(parseYaml(eff.stdout)).toEqual(platformValues);
      const ann = expectOk(await tether(["values", "get", "prod", "--source", "cluster-annotation"]));
      expect(parseYaml(ann.stdout)).toEqual({});
    });

    it("values set NAME with bad YAML fails in one line naming line and column, and changes nothing", async () => {
      const line = expectOneErrorLine(
        await tether(["values", "set", "staging"], { stdin: "relay:\n  mode: [auto\nmtu: : 1\n" }),
        1,
      );
      expect(line).toMatch(/line \d+/);
      expect(line).toMatch(/column \d+/);
      expect(line).toMatch(/\(HTTP 422 [a-z_]+\)$/);
      const still = expectOk(await tether(["values", "get", "staging", "--source", "cluster-annotation"]));
      expect(parseYaml(still.stdout)).toEqual(parseYaml(annotation));
    });

    it("values set with values the agent's schema refuses fails naming the path, and changes nothing", async () => {
      const line = expectOneErrorLine(
        await tether(["values", "set", "staging"], { stdin: "relay:\n  mode: sometimes\nmtu: big\n" }),
        1,
      );
      expect(line).toBe(
        "tether: relay.mode: must be one of auto, always, never; mtu: must be a whole number (HTTP 422 invalid_values)",
      );
      const still = expectOk(await tether(["values", "get", "staging", "--source", "cluster-annotation"]));
      expect(parseYaml(still.stdout)).toEqual(parseYaml(annotation));
      const platformLine = expectOneErrorLine(await tether(["values", "set"], { stdin: "mtu: 9000\n" }), 1);
      expect(platformLine).toBe("tether: mtu: must be at most 1420 (HTTP 422 invalid_values)");
    });

    it("values set NAME with YAML that is not a map is rejected", async () => {
      const line = expectOneErrorLine(await tether(["values", "set", "staging"], { stdin: "- a\n- b\n" }), 1);
      expect(line).toMatch(/\(HTTP 422 [a-z_]+\)$/);
    });

    it("values get for an unknown cluster is a 404", async () => {
      const line = expectOneErrorLine(await tether(["values", "get", "nope"]), 1);
      expect(line).toMatch(/\(HTTP 404 [a-z_]+\)$/);
    });
  });

  it("cluster rotate-psk prints a different PSK in a working connect command", async () => {
    const r = expectOk(await tether(["cluster", "rotate-psk", "staging"]));
    const out = parseSecretOutput(r.stdout);
    expect(out.psk).not.toBe(stagingPsk);
    await expectCommandsMean(out, "staging");
  });

  it("cluster events prints the cluster's history oldest first, and --json the API's page", async () => {
    const r = expectOk(await tether(["cluster", "events", "staging"]));
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+TYPE\s+REASON\s+MESSAGE$/);
    expect(lines.at(-1)).toMatch(/^\S+Z\s+Normal\s+PSKRotated\s+The PSK was rotated/);
    const json = JSON.parse(
      expectOk(await tether(["cluster", "events", "staging", "--json", "--limit", "1"])).stdout,
    ) as {
      items: { reason: string; type: string; id: string }[];
      nextCursor: string | null;
    };
    expect(json.items).toHaveLength(1);
    expect(json.items[0]).toMatchObject({ type: "Normal", reason: "PSKRotated" });
    const none = expectOk(await tether(["cluster", "events", "prod"]));
    expect(none.stdout).toBe("No events yet.\n");
    expect(expectOneErrorLine(await tether(["cluster", "events", "nope"]), 1)).toMatch(
      /\(HTTP 404 not_found\)$/,
    );
  });

  describe("key", () => {
    let key = "";

    async function readValues(token: string): Promise<number> {
      const res = await fetch(`${platform.url}/clusters/staging`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      return res.status;
    }

    it("key create prints the key once with its scope and expiry; the key works", async () => {
      const r = expectOk(
        await tether(["key", "create", "ci-reader", "--scope", "values:read", "--expires-in", "30d"]),
      );
      expect(r.stdout).toMatch(
        /^Access key "ci-reader" \(id \S+, scope values:read; expires \d{4}-\d\d-\d\dT\S+Z\)\.\nThe key \(shown only once; store it now, it cannot be read back\):\n {2}tak_[A-Za-z0-9_-]{43}\n$/,
      );
      key = /^ {2}(tak_\S+)$/m.exec(r.stdout)?.[1] ?? "";
      expect(await readValues(key)).toBe(200);
    });

    it("key create binds a cluster-values:read key to its cluster", async () => {
      const r = JSON.parse(
        expectOk(
          await tether([
            "key",
            "create",
            "helm-staging",
            "--scope",
            "cluster-values:read",
            "--cluster",
            "staging",
            "--json",
          ]),
        ).stdout,
      ) as { accessKey: { cluster: string; expiresAt: string | null }; key: string };
      expect(r.accessKey).toMatchObject({ cluster: "staging", expiresAt: null });
      expect(await readValues(r.key)).toBe(200);
    });

    it("key list shows name, scope, cluster, state, created, last used and expiry", async () => {
      const r = expectOk(await tether(["key", "list"]));
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^ID\s+NAME\s+SCOPE\s+CLUSTER\s+STATE\s+CREATED\s+LAST USED\s+EXPIRES$/);
      expect(lines.find((l) => / ci-reader /.test(l))).toMatch(
        /ci-reader\s+values:read\s+-\s+active\s+(just now|\d+s ago)\s+(just now|\d+s ago)\s+in (29|30)d$/,
      );
      expect(lines.find((l) => / helm-staging /.test(l))).toMatch(
        /cluster-values:read\s+staging\s+active\s+/,
      );
    });

    it("key revoke by name refuses the key at once (401), and list shows it revoked", async () => {
      const r = expectOk(await tether(["key", "revoke", "ci-reader"]));
      expect(r.stdout).toMatch(/^Access key "ci-reader" \(id \S+\) revoked; it is refused from now on\.\n$/);
      expect(await readValues(key)).toBe(401);
      const list = expectOk(await tether(["key", "list"]));
      expect(list.stdout).toMatch(/ci-reader\s+values:read\s+-\s+revoked\s+/);
    });

    it("key revoke by id works too; an unknown key and a bad --expires-in are usage errors", async () => {
      const listed = JSON.parse(expectOk(await tether(["key", "list", "--json"])).stdout) as {
        items: { id: string; name: string; disabled: boolean }[];
      };
      const helm = listed.items.find((k) => k.name === "helm-staging");
      expectOk(await tether(["key", "revoke", helm?.id ?? "?"]));
      expect(expectOneErrorLine(await tether(["key", "revoke", "nope"]), 2)).toBe(
        'tether: no access key with the id or name "nope"',
      );
      expect(
        expectOneErrorLine(
          await tether(["key", "create", "x", "--scope", "admin", "--expires-in", "soon"]),
          2,
        ),
      ).toBe('tether: --expires-in "soon" is not a duration like 90s, 45m, 12h, 30d or 2w');
      expect(expectOneErrorLine(await tether(["key", "create", "x", "--scope", "root"]), 2)).toMatch(/root/);
    });
  });

  it("cluster revoke NAME cuts the agent off; the printed rotate-psk and a new registration bring it back", async () => {
    const added = expectOk(await tether(["cluster", "add", "cut", "--display-name", "Cut"]));
    const { psk } = parseSecretOutput(added.stdout);
    const register = (key: string) =>
      fetch(`${platform.url}/api/v1/agent/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          cluster: "cut",
          psk: key,
          publicKey: Buffer.alloc(32, 7).toString("base64"),
          clusterUid: "uid-cut",
          version: "0.1.0",
        }),
      });
    expect((await register(psk)).status).toBe(200);

    // Not a terminal and no --yes: refused, nothing revoked.
    expect(expectOneErrorLine(await tether(["cluster", "revoke", "cut"]), 2)).toBe(
      'tether: refusing to revoke cluster "cut"\'s agent without --yes (stdin is not a terminal)',
    );
    const r = expectOk(await tether(["cluster", "revoke", "cut", "--yes"]));
    expect(r.stdout).toBe(
      'The agent of cluster "cut" is revoked: its credential, PSK and values keys no longer work, and its peers dropped it. The cluster is kept.\n' +
        "To reconnect it: tether cluster rotate-psk cut, then run the new connect command on the cluster.\n",
    );
    expect((await register(psk)).status).toBe(401);
    const list = expectOk(await tether(["cluster", "list"]));
    // Not online, no paths; when it was last seen stays shown (it registered just before).
    expect(list.stdout).toMatch(
      /^cut\s+Cut\s+-\s+Failed \(CredentialRevoked\)\s+no\s+(just now|\d+s ago)\s+-\s+\S+\s+-$/m,
    );
    const get = expectOk(await tether(["cluster", "get", "cut"]));
    expect(get.stdout).toMatch(/^Reason:\s+CredentialRevoked$/m);
    expect(get.stdout).toMatch(
      /^ {2}CredentialRevoked\s+True\s+Revoked\s+(just now|\d+s ago)\s+The agent's credential was revoked at \S+: .*rotate the PSK and run the new connect command\.$/m,
    );
    // Again, as JSON: idempotent, the cluster as GET answers it.
    const json = JSON.parse(
      expectOk(await tether(["cluster", "revoke", "cut", "--yes", "--json"])).stdout,
    ) as {
      name: string;
      status: { reason: string; online: boolean };
    };
    expect(json).toMatchObject({ name: "cut", status: { reason: "CredentialRevoked", online: false } });
    expect(expectOneErrorLine(await tether(["cluster", "revoke", "nope", "--yes"]), 1)).toMatch(
      /\(HTTP 404 not_found\)$/,
    );

    // The way back, as printed: the rotate-psk command, then a registration with its PSK.
    const printed = /^To reconnect it: tether (cluster rotate-psk cut),/m.exec(r.stdout)?.[1] ?? "";
    const rotated = parseSecretOutput(expectOk(await tether(printed.split(" "))).stdout);
    expect((await register(rotated.psk)).status).toBe(200);
    const back = expectOk(await tether(["cluster", "get", "cut"]));
    expect(back.stdout).toMatch(/^Phase:\s+Initialized$/m);
    expect(back.stdout).toMatch(/^ {2}CredentialRevoked\s+False\s+CredentialValid\s/m);
    expectOk(await tether(["cluster", "delete", "cut", "--yes"]));
  });

  it("cluster delete --yes removes it; get then fails with not found", async () => {
    const r = expectOk(await tether(["cluster", "delete", "staging", "--yes"]));
    expect(r.stdout).toBe('Cluster "staging" deleted.\n');
    const line = expectOneErrorLine(await tether(["cluster", "get", "staging"]), 1);
    expect(line).toMatch(/not[ _]found/i);
    expect(line).toMatch(/\(HTTP 404 not_found\)$/);
  });

  it("a wrong access key fails with a 401 line", async () => {
    const r = await runTether([
      "--platform",
      platform.url,
      "--access-key",
      `tak_${"A".repeat(43)}`,
      "cluster",
      "list",
    ]);
    expect(expectOneErrorLine(r, 1)).toMatch(/\(HTTP 401 [a-z_]+\)$/);
  });

  it("an unreachable platform is one line naming the URL and the reason", async () => {
    const port = await freePort();
    const r = await runTether([
      "--platform",
      `http://127.0.0.1:${port}`,
      "--access-key",
      "tak_x",
      "cluster",
      "list",
    ]);
    expect(expectOneErrorLine(r, 1)).toBe(
      `tether: cannot reach platform at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });

  it("an unknown command exits 2", async () => {
    expect(expectOneErrorLine(await runTether(["teleport"]), 2)).toBe("tether: unknown command 'teleport'");
  });
});

describe("terminal escapes from the platform", () => {
  it("cluster get and list print control characters as visible \\u escapes, and --json stays exact", async () => {
    const displayName = "Evil\u001b[2J\u001b]0;owned\u0007\rname\u009b31m";
    const res = await fetch(`${platform.url}/api/v1/clusters`, {
      method: "POST",
      headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "escapes", displayName }),
    });
    expect(res.status).toBe(201);
    try {
      for (const args of [
        ["cluster", "get", "escapes"],
        ["cluster", "list"],
      ]) {
        const r = expectOk(await tether(args));
        for (const raw of ["\u001b", "\u0007", "\r", "\u009b"]) expect(r.stdout).not.toContain(raw);
        expect(r.stdout).toContain("Evil\\u001b[2J\\u001b]0;owned\\u0007\\u000dname\\u009b31m");
      }
      const json = JSON.parse(expectOk(await tether(["cluster", "get", "escapes", "--json"])).stdout) as {
        displayName: string;
      };
      expect(json.displayName).toBe(displayName);
    } finally {
      expectOk(await tether(["cluster", "delete", "escapes", "--yes"]));
    }
  });
});
