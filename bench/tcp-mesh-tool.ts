/**
 * The child processes of bench/tcp-mesh.bench.ts (a separate process each, so
 * they can run inside a network namespace and so their memory and CPU are not
 * the bench's). Each prints JSON lines on stdout.
 *
 *   echo HOST PORT                    echo server; {"event":"ready","port":N}
 *   proxy PORT TARGET_HOST:PORT       the trivial Node proxy (net.createServer
 *                                     piping to net.connect); {"event":"ready","port":N}
 *   cps HOST PORT CONCURRENCY SECONDS connect, send 8 bytes, read the echo, close,
 *                                     with CONCURRENCY loops; {"event":"done",...}
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

const [mode, ...args] = process.argv.slice(2);

function listen(server: Server, host: string, port: number): void {
  server.listen(port, host, () => {
    const p = (server.address() as AddressInfo).port;
    console.log(JSON.stringify({ event: "ready", port: p, pid: process.pid }));
  });
}

function echo(host: string, port: number): void {
  const server = createServer((sock) => {
    sock.on("error", () => {});
    sock.pipe(sock);
  });
  listen(server, host, port);
}

function proxy(port: number, target: string): void {
  const i = target.lastIndexOf(":");
  const host = target.slice(0, i);
  const targetPort = Number(target.slice(i + 1));
  const server = createServer((client) => {
    const upstream = connect(targetPort, host);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", kill);
    upstream.on("error", kill);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.maxConnections = 100_000;
  listen(server, "127.0.0.1", port);
}

const MESSAGE = Buffer.from("tether!\n");

/** One connection: connect, send MESSAGE, wait for it back, close (FIN). Resolves with ms taken. */
function oneRoundTrip(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock: Socket = connect(port, host);
    let got = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("timeout"));
    }, 10_000);
    sock.setNoDelay(true);
    sock.on("connect", () => sock.write(MESSAGE));
    sock.on("data", (c: Buffer) => {
      got += c.length;
      if (got >= MESSAGE.length) {
        clearTimeout(timer);
        sock.end();
        sock.destroy();
        resolve(performance.now() - t0);
      }
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      if (got < MESSAGE.length) reject(new Error("closed before the echo"));
    });
  });
}

async function cps(host: string, port: number, concurrency: number, seconds: number): Promise<void> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      try {
        latencies.push(await oneRoundTrip(host, port));
      } catch (e) {
        const key = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  console.log(
    JSON.stringify({
      event: "done",
      connections: latencies.length,
      seconds: elapsed,
      perSecond: latencies.length / elapsed,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      errors,
    }),
  );
}

switch (mode) {
  case "echo":
    echo(args[0]!, Number(args[1]));
    break;
  case "proxy":
    proxy(Number(args[0]), args[1]!);
    break;
  case "cps":
    await cps(args[0]!, Number(args[1]), Number(args[2]), Number(args[3]));
    break;
  default:
    console.error(`usage: tcp-mesh-tool.ts echo|proxy|cps ...; got ${String(mode)}`);
    process.exit(2);
}
