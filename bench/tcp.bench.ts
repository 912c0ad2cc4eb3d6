/**
 * Bulk throughput of the user-space TCP between two in-memory stacks (no loss,
 * every packet fully built, checksummed, parsed and verified), side by side
 * with two baselines in the same run:
 *   - kernel TCP over a loopback net.Socket (what Linux does with the same bytes);
 *   - a Node stream pipe moving the same bytes in MSS-sized chunks (the floor
 *     cost of just copying them through JavaScript).
 *
 *   node --import tsx bench/tcp.bench.ts [MiB]
 */
import { type AddressInfo, createServer, connect as netConnect } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SeededRandom } from "../test/net/tcp/sim-network.ts";
import { connectPair, makePair, Pump, Sink, sha256 } from "../test/net/tcp/test-harness.ts";

const MiB = 1 << 20;
const size = Math.max(1, Number(process.argv[2] ?? 32)) * MiB;
const data = new SeededRandom(1).bytes(size);
const expected = sha256(data);

interface Result {
  name: string;
  seconds: number;
  ok: boolean;
}

function userSpaceTcp(): Result {
  const pair = makePair({ seed: 1, profile: { delayMs: 0.05 } });
  const { client, server } = connectPair(pair);
  const sink = new Sink(server, false);
  const t0 = performance.now();
  new Pump(client, data);
  pair.net.runUntil(() => sink.ended, 24 * 3600_000, 100_000_000);
  const seconds = (performance.now() - t0) / 1000;
  return { name: "user-space TCP (two in-memory stacks)", seconds, ok: sink.digest() === expected };
}

async function kernelLoopback(): Promise<Result> {
  const server = createServer();
  let received = 0;
  const done = new Promise<void>((resolve) => {
    server.on("connection", (s) => {
      s.on("data", (c: Buffer) => {
        received += c.length;
      });
      s.on("end", () => resolve());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    const t0 = performance.now();
    const sock = netConnect(port, "127.0.0.1");
    await new Promise<void>((r) => sock.once("connect", r));
    const chunk = 64 * 1024;
    for (let off = 0; off < size; off += chunk) {
      if (!sock.write(data.subarray(off, Math.min(off + chunk, size)))) {
        await new Promise<void>((r) => sock.once("drain", r));
      }
    }
    sock.end();
    await done;
    const seconds = (performance.now() - t0) / 1000;
    return { name: "kernel TCP, loopback net.Socket", seconds, ok: received === size };
  } finally {
    server.close();
  }
}

async function streamPipe(): Promise<Result> {
  const pass = new PassThrough();
  let received = 0;
  const t0 = performance.now();
  const sinkDone = pipeline(
    pass,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        cb();
      },
    }),
  );
  for (let off = 0; off < size; off += 1380) {
    // A copy per chunk, as the TCP path copies each segment into its packet.
    if (!pass.write(Buffer.from(data.subarray(off, Math.min(off + 1380, size))))) {
      await new Promise<void>((r) => pass.once("drain", r));
    }
  }
  pass.end();
  await sinkDone;
  return {
    name: "Node stream pipe, 1380 B chunks",
    seconds: (performance.now() - t0) / 1000,
    ok: received === size,
  };
}

// Warm up the JIT on a smaller transfer first so the first contender is not penalised.
{
  const pair = makePair({ seed: 2 });
  const { client, server } = connectPair(pair);
  const sink = new Sink(server, false);
  new Pump(client, data.subarray(0, Math.min(size, 4 * MiB)));
  pair.net.runUntil(() => sink.ended, 3600_000, 10_000_000);
}

const tcp = userSpaceTcp();
const kernel = await kernelLoopback();
const pipe = await streamPipe();

const mbps = (r: Result) => (size * 8) / r.seconds / 1e6;
const rows = [tcp, kernel, pipe];
console.log(`bulk transfer of ${size / MiB} MiB, one process, same run`);
console.log(
  `${"contender".padEnd(42)} ${"seconds".padStart(8)} ${"Mbit/s".padStart(9)} ${"vs kernel".padStart(10)}  ok`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(42)} ${r.seconds.toFixed(3).padStart(8)} ${mbps(r).toFixed(0).padStart(9)} ${(mbps(r) / mbps(kernel)).toFixed(3).padStart(10)}  ${r.ok ? "yes" : "NO"}`,
  );
}
console.log(
  `user-space TCP / kernel loopback = ${(mbps(tcp) / mbps(kernel)).toFixed(3)}x; / stream pipe = ${(mbps(tcp) / mbps(pipe)).toFixed(3)}x`,
);
const json = {
  bytes: size,
  userSpaceTcpMbps: Math.round(mbps(tcp)),
  kernelLoopbackMbps: Math.round(mbps(kernel)),
  streamPipeMbps: Math.round(mbps(pipe)),
  ratioVsKernel: Number((mbps(tcp) / mbps(kernel)).toFixed(4)),
  ratioVsStreamPipe: Number((mbps(tcp) / mbps(pipe)).toFixed(4)),
  byteExact: tcp.ok,
};
console.log(`BENCH_JSON ${JSON.stringify(json)}`);
if (!rows.every((r) => r.ok)) process.exit(1);
