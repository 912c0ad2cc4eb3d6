/**
 * Child of bench/tcp-impaired.bench.ts, run in the client namespace: opens N TCP connections to
 * HOST:PORT in batches, sends nothing, holds them. Prints {"event":"ready","open":N} once every
 * one is connected, then waits until stdin closes or it is killed.
 *
 *   tcp-idle-holder.ts HOST PORT N
 */
import { connect, type Socket } from "node:net";

const [host, portArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
if (!host || !Number.isInteger(port) || !Number.isInteger(count) || count <= 0) {
  console.error("usage: tcp-idle-holder.ts HOST PORT N");
  process.exit(2);
}
/** Below the peer's SYN backlog, so no SYN has to wait for a retransmission. */
const BATCH = 50;
const held: Socket[] = [];

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve());
    s.on("error", reject);
    held.push(s);
  });
}

for (let i = 0; i < count; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, open));
}
console.log(JSON.stringify({ event: "ready", open: held.length }));
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
