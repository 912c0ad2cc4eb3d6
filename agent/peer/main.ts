/**
 * Runnable WireGuard peer: `node --import tsx agent/peer/main.ts --help`.
 * Speaks JSON lines: events on stdout, commands on stdin (see control.ts).
 */
import { createInterface } from "node:readline";
import { parsePeerArgs, USAGE } from "./args.ts";
import { ConfigError } from "./config.ts";
import { type ControlOutput, handleControlLine, peerEventToJson } from "./control.ts";
import { startPeer } from "./udp-peer.ts";

function print(o: ControlOutput): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: ReturnType<typeof parsePeerArgs>;
  try {
    config = parsePeerArgs(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const peer = await startPeer(config, { onEvent: (e) => print(peerEventToJson(e)) });
  print({ event: "ready", port: peer.listenPort, publicKey: peer.publicKey, address: config.address });

  const stop = async () => {
    await peer.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on("line", (line) => {
    const out = handleControlLine(peer, line);
    if (out === "quit") void stop();
    else if (out) print(out);
  });
  // Without a controller (stdin closed) keep serving until signalled: the peer is still useful.
  return new Promise<number>(() => {});
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
