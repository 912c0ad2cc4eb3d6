/**
 * Child of bench/tcp-impaired.bench.ts: JavaScript heap per idle TCP connection of the stack
 * in checkout ROOT (so this checkout and a baseline one can be compared in one run). Two
 * TcpLayers joined by an in-memory link open N connections, send one byte each way, and sit
 * idle; heapUsed is read after forced GCs before and after (after a warm-up of the same, so
 * code compiled on first use is not counted). Needs --expose-gc.
 *
 *   node --expose-gc --import tsx bench/tcp-idle-heap.ts ROOT N
 * Prints {"bytesPerConnection": ...} (per TcpConnection object, both ends counted).
 */
import { pathToFileURL } from "node:url";

const [root, countArg] = process.argv.slice(2);
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!root || !Number.isInteger(count) || count <= 0 || gc === undefined) {
  console.error("usage: node --expose-gc --import tsx bench/tcp-idle-heap.ts ROOT N");
  process.exit(2);
}

interface Conn {
  write(b: Uint8Array): number;
  onData: ((c: Uint8Array) => void) | undefined;
}
interface Layer {
  input(h: unknown, payload: Uint8Array, now: number): void;
  tick(now: number): void;
  readonly nextDeadline: number;
  listen(port: number, cb: (c: Conn) => void): unknown;
  connect(ip: number, port: number): Conn;
}
type LayerCtor = new (o: { localIp: number; send: (p: Uint8Array) => void; now: () => number }) => Layer;

const { TcpLayer } = (await import(pathToFileURL(`${root}/agent/net/tcp/tcp-layer.ts`).href)) as {
  TcpLayer: LayerCtor;
};
const { parseIpv4 } = (await import(pathToFileURL(`${root}/agent/net/ipv4.ts`).href)) as {
  parseIpv4: (p: Uint8Array) => { dst: number; headerLength: number; totalLength: number } | null;
};

const WARMUP = 200;
const A = 0x0a000001;
const B = 0x0a000002;
let now = 0;
const queue: Uint8Array[] = [];
const send = (p: Uint8Array) => queue.push(p);
const layers = new Map<number, Layer>();
layers.set(A, new TcpLayer({ localIp: A, send, now: () => now }));
layers.set(B, new TcpLayer({ localIp: B, send, now: () => now }));
function drain(): void {
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    const h = parseIpv4(p)!;
    layers.get(h.dst)!.input(h, p.subarray(h.headerLength, h.totalLength), now);
  }
}

const held: Conn[] = [];
layers.get(B)!.listen(80, (c) => {
  held.push(c);
  c.onData = () => {};
  c.write(new Uint8Array([2]));
});
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
function open(n: number): void {
  for (let i = 0; i < n; i++) {
    const c = layers.get(A)!.connect(B, 80);
    c.onData = () => {};
    held.push(c);
    drain();
    c.write(new Uint8Array([1]));
    drain();
  }
}
/** Lets 2 s pass in 10 ms steps, running due timers, so delayed ACKs and probes settle. */
function settle(): void {
  for (let i = 0; i < 200; i++) {
    now += 10;
    for (const l of layers.values()) if (l.nextDeadline <= now) l.tick(now);
    drain();
  }
}
// Warm up first, so code compiled on first use is not counted as per-connection memory.
open(WARMUP);
settle();
const warm = held.length;
const before = heap();
open(count);
settle();
const after = heap();
const measured = held.length - warm;
console.log(JSON.stringify({ connections: measured, bytesPerConnection: (after - before) / measured }));
