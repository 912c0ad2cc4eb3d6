/**
 * The `tether` command tree: platform commands talk to the API; `agent ...`
 * runs the agent or asks the running one (over its local socket); `dev` runs
 * the platform locally.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { agentForward, agentPing, agentStatus, agentUp } from "./commands/agent.ts";
import {
  addCluster,
  deleteCluster,
  getCluster,
  listClusters,
  revokeCluster,
  rotatePsk,
} from "./commands/cluster.ts";
import { clusterEvents } from "./commands/cluster-events.ts";
import { createKey, listKeys, revokeKey } from "./commands/keys.ts";
import { getValues, setValues } from "./commands/values.ts";
import { type CliIo, type CommandContext, type GlobalOptions, makeContext } from "./context.ts";
import { runDev } from "./dev.ts";
import { describeError, EXIT_USAGE } from "./errors.ts";

export const VERSION = "0.1.0";
export const DEFAULT_PLATFORM = "http://127.0.0.1:8787";

function intInRange(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

export function buildProgram(io: CliIo, onExitCode: (code: number) => void): Command {
  const program = new Command("tether");
  const ctx = (cmd: Command): CommandContext => makeContext(io, cmd.optsWithGlobals<GlobalOptions>());

  program
    .description("Connect host clusters on any network to one platform, over WireGuard.")
    .version(VERSION, "-v, --version")
    .addOption(
      new Option("--platform <url>", "platform URL").env("TETHER_PLATFORM").default(DEFAULT_PLATFORM),
    )
    .addOption(new Option("--access-key <key>", "access key (tak_...)").env("TETHER_ACCESS_KEY"))
    .option("--json", "print machine-readable JSON")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) =>
        write(
          `tether: ${s
            .replace(/^error:\s*/, "")
            .trim()
            .replace(/\s*\n\s*/g, " ")}\n`,
        ),
    })
    .showSuggestionAfterError(true);

  const cluster = program.command("cluster").description("manage connected clusters");
  cluster
    .command("add")
    .description("create a cluster and print its PSK (shown once) and connect commands")
    .argument("[name]", "Kubernetes name (DNS-1123 label); generated from the display name when omitted")
    .requiredOption("--display-name <text>", "human-readable name")
    .option("--description <text>", "free-text description")
    .option("--local", "mark it as the primary (hub) cluster")
    .action((name: string | undefined, opts, cmd: Command) => addCluster(ctx(cmd), name, opts));
  cluster
    .command("list")
    .description("list all clusters (follows every page)")
    .option("--limit <n>", "page size, 1 to 100", intInRange(1, 100))
    .action((opts, cmd: Command) => listClusters(ctx(cmd), opts));
  cluster
    .command("get")
    .description("show one cluster and its status")
    .argument("<name>")
    .action((name: string, _opts, cmd: Command) => getCluster(ctx(cmd), name));
  cluster
    .command("delete")
    .description("delete a cluster, its PSK and its agent credentials")
    .argument("<name>")
    .option("-y, --yes", "do not ask for confirmation")
    .action((name: string, opts, cmd: Command) => deleteCluster(ctx(cmd), name, opts));
  cluster
    .command("revoke")
    .description("cut the cluster's agent off now and keep the cluster (rotate the PSK to reconnect)")
    .argument("<name>")
    .option("-y, --yes", "do not ask for confirmation")
    .action((name: string, opts, cmd: Command) => revokeCluster(ctx(cmd), name, opts));
  cluster
    .command("rotate-psk")
    .description("issue a new PSK (the old one stops working)")
    .argument("<name>")
    .action((name: string, _opts, cmd: Command) => rotatePsk(ctx(cmd), name));
  cluster
    .command("events")
    .description("show the cluster's history: registrations, refusals, PSK rotations, values, paths")
    .argument("<name>")
    .option("--limit <n>", "how many of the newest events, 1 to 100", intInRange(1, 100), 50)
    .action((name: string, opts, cmd: Command) => clusterEvents(ctx(cmd), name, opts));

  const key = program.command("key").description("manage access keys");
  key
    .command("list")
    .description("list access keys: scope, cluster, state, created, last used, expiry")
    .action((_opts, cmd: Command) => listKeys(ctx(cmd)));
  key
    .command("create")
    .description("create an access key and print it (shown once)")
    .argument("<name>")
    .addOption(
      new Option("--scope <scope>", "what the key may do")
        .choices(["admin", "values:read", "cluster-values:read"])
        .makeOptionMandatory(),
    )
    .option("--cluster <name>", "the one cluster a cluster-values:read key reads")
    .option("--expires-in <duration>", "e.g. 12h, 30d (default: never)")
    .action((name: string, opts, cmd: Command) => createKey(ctx(cmd), name, opts));
  key
    .command("revoke")
    .description("revoke an access key by id or name; it is refused from then on")
    .argument("<id-or-name>")
    .action((idOrName: string, _opts, cmd: Command) => revokeKey(ctx(cmd), idOrName));

  const values = program.command("values").description("read and write agent values");
  values
    .command("get")
    .description("print a cluster's agent values as YAML (effective unless --source)")
    .argument("<name>")
    .addOption(
      new Option("--source <source>", "one layer only").choices(["platform-config", "cluster-annotation"]),
    )
    .action((name: string, opts, cmd: Command) => getValues(ctx(cmd), name, opts));
  values
    .command("set")
    .description(
      "without NAME: replace the platform's agentValues; with NAME: set the cluster's loft.sh/agent-values annotation (YAML from --file or stdin; empty input clears)",
    )
    .argument("[name]")
    .option("-f, --file <path>", "read YAML from this file ('-' for stdin)")
    .action((name: string | undefined, opts, cmd: Command) => setValues(ctx(cmd), name, opts));

  const agent = program.command("agent").description("run the agent that connects this cluster");
  agent
    .command("up")
    .description("register (first run) and connect this cluster; runs in the foreground")
    .requiredOption("--cluster <name>", "this cluster's name on the platform")
    // TETHER_PSK is read by readPsk (agent/cli/psk-input.ts), after --psk and --psk-file.
    .option(
      "--psk <psk>",
      "the cluster's PSK from 'cluster add' or 'rotate-psk', needed to register; '-' reads it from stdin. Prefer TETHER_PSK or --psk-file: arguments are visible to every local user",
    )
    .option("--psk-file <path>", "read the PSK from this file")
    .option("--state <dir>", "where the agent keeps its identity (default ~/.tether)")
    .option("--listen-port <port>", "UDP port for WireGuard (0 = any free port)", intInRange(0, 65535), 0)
    .option("--cluster-uid <uid>", "id of this physical cluster (default: random, kept in the state file)")
    .option(
      "--heartbeat-interval <seconds>",
      "seconds between HTTP heartbeats while the control channel is down",
      intInRange(1, 300),
      15,
    )
    .option("--log-level <level>", "debug, info, warn or error (agent values may change it later)", "info")
    .option("--log-json", "log JSON lines")
    .option(
      "--advertise <addresses>",
      "comma-separated IPv4 addresses to offer peers instead of this host's interface addresses",
    )
    .option("--socks5 <host:port>", "run a SOCKS5 proxy into the mesh (<cluster>.tether names and mesh IPs)")
    .option(
      "--allow-forward-listen <cidrs>",
      "let agent values open forward listeners on these IPv4 CIDRs too (default: loopback only)",
    )
    .addOption(
      new Option(
        "--health-listen <addr>",
        "serve /healthz and /readyz for probes on HOST:PORT or :PORT (off by default)",
      ).env("TETHER_HEALTH_LISTEN"),
    )
    .action((opts, cmd: Command) => agentUp(ctx(cmd), opts));
  agent
    .command("status")
    .description("ask the running agent for its peers, paths and counters")
    .option("--state <dir>", "the agent's state directory (default ~/.tether)")
    .action((opts, cmd: Command) => agentStatus(ctx(cmd), opts));
  agent
    .command("ping")
    .description("send echo probes through the tunnel to a peer and check every byte that comes back")
    .argument("<peer>", "peer cluster name or mesh IP")
    .option("--udp", "UDP to the peer's echo port 7 instead of ICMP echo")
    .option("-c, --count <n>", "probes to send", intInRange(1, 1000), 4)
    .option("-s, --size <bytes>", "payload bytes per probe", intInRange(4, 65507), 56)
    .option("--interval <ms>", "milliseconds between probes", intInRange(10, 10000), 200)
    .option("--timeout <ms>", "milliseconds to wait for each reply", intInRange(10, 10000), 1000)
    .option("--state <dir>", "the agent's state directory (default ~/.tether)")
    .action((peer: string, opts, cmd: Command) => agentPing(ctx(cmd), peer, opts));
  agent
    .command("forward")
    .description("listen locally and carry each connection through the tunnel to a peer's exposed port")
    .argument("<cluster:port>", "peer cluster (or mesh IP) and the port it exposes")
    .option("--listen <host:port>", "local address to listen on (default 127.0.0.1 and a free port)")
    .option("--state <dir>", "the running agent's state directory (default ~/.tether)")
    .action((to: string, opts, cmd: Command) => agentForward(ctx(cmd), to, opts));

  program
    .command("dev")
    .description("run the platform locally (wrangler dev + local D1) and print the admin key")
    .option("--port <port>", "port to listen on", intInRange(1, 65535), 8787)
    .option("--ip <ip>", "address to listen on", "127.0.0.1")
    .option("--persist-to <dir>", "where local D1 and Durable Object state live (default .wrangler/state)")
    .option("--vars-file <path>", "dotenv file with ADMIN_ACCESS_KEY (default: .dev.vars in the project)")
    .option(
      "--inspect",
      "open the Worker's devtools inspector on 127.0.0.1 (unauthenticated; off by default)",
    )
    .option("--inspector-port <port>", "devtools inspector port (with --inspect)", intInRange(1, 65535))
    .action(async (opts) => onExitCode(await runDev(opts, io)));

  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one line (via outputError) or the help text.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const { line, exitCode: code } = describeError(err);
    io.stderr(`tether: ${line}\n`);
    return code;
  }
}
