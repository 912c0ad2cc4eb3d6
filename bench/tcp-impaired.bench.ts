/**
 * TCP under an impaired link (issue 21): three stacks as sender and as receiver, on the same
 * link model and the same bytes, in one run:
 *   ours   - the agent's user-space TCP (agent/peer/main.ts, sink/source behind --expose);
 *   linux  - Linux's TCP through wireguard-go;
 *   gvisor - wireguard-go's own user-space netstack (gVisor), test/tools/gvisor-peer.
 * The far end is always Linux's TCP through wireguard-go (tcp-client.ts in the other namespace),
 * so "sends" means the stack under test sends to Linux and "receives" means Linux sends to it.
 * The link is test/system/udp-impair.ts in front of the peer's WireGuard port, under four
 * conditions (test/helpers/impaired-link.ts): clean, 1% loss, 5% loss with 25% reordering and
 * 5 ms delay, 50 ms delay each way with 1% loss. Every transfer is checked byte-exact (SHA-256).
 *
 * Also memory per idle connection: VmRSS of the peer process with IDLE_CONNECTIONS connections
 * held open on the clean link (noisy: it includes garbage V8 has not collected), and the
 * JavaScript heap per idle TcpConnection after forced GCs (bench/tcp-idle-heap.ts), for this
 * checkout and the baseline.
 *
 * With TETHER_IMPAIRED_BASELINE=DIR (a checkout of an older commit with node_modules), a fourth
 * stack "baseline" runs that checkout's peer the same way, so before/after come from one run.
 *
 * One transfer per cell, so the figures carry the noise of one run; the loss is random per run.
 * Bytes per cell scale with TETHER_IMPAIRED_SCALE (default 1); TETHER_IMPAIRED_STACKS and
 * TETHER_IMPAIRED_CONDITIONS (comma-separated) pick stacks and conditions for a quick look. Needs root, wireguard-go, wg, Go.
 *
 *   npm run bench -- tcp-impaired
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  type ImpairedPeer,
  LINK_CONDITIONS,
  PEER_SINK,
  PEER_TUNNEL,
  type PeerStack,
  startImpairedPeer,
} from "../test/helpers/impaired-link.ts";
import { JsonLinesChild } from "../test/helpers/json-lines.ts";
import { stopChild } from "../test/helpers/netns.ts";
import { streamSha256 } from "../test/helpers/tcp-stream.ts";
import { REPO_ROOT } from "../test/helpers/topology.ts";

const MB = 1024 * 1024;
const SCALE = Number(process.env.TETHER_IMPAIRED_SCALE ?? 1);
/** Bytes per transfer, per condition (same for every stack). */
const BYTES: Record<string, number> = {
  clean: 32 * MB,
  "loss 1%": 8 * MB,
  "loss 5% reorder 25% delay 5ms": 4 * MB,
  "delay 50ms each way loss 1%": 4 * MB,
};
const BASELINE = process.env.TETHER_IMPAIRED_BASELINE;
const ALL_STACKS: PeerStack[] = BASELINE
  ? ["ours", "baseline", "linux", "gvisor"]
  : ["ours", "linux", "gvisor"];
/** TETHER_IMPAIRED_STACKS=ours,gvisor runs only those (for a quick look; the ratios need all three). */
const STACKS = ALL_STACKS.filter((s) => (process.env.TETHER_IMPAIRED_STACKS ?? s).split(",").includes(s));
const IDLE_CONNECTIONS = 1000;
const IDLE_SETTLE_MS = 2_000;
const TRANSFER_TIMEOUT_MS = 600_000;

type Direction = "sends" | "receives";
const results: Record<string, Record<Direction, Record<PeerStack, number>>> = {};
const idleRss: Partial<Record<PeerStack, number>> = {};

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

async function measure(peer: ImpairedPeer, cond: string, bytes: number): Promise<Record<Direction, number>> {
  const seed = `${peer.stack}-${cond.replace(/[^a-z0-9]+/gi, "-")}`;
  const down = await peer.transfer("recv", bytes, `${seed}-down`, TRANSFER_TIMEOUT_MS);
  if (down.bytes !== bytes || down.sha256 !== streamSha256(`${seed}-down`, bytes))
    throw new Error(`${peer.stack} ${cond}: source stream not byte-exact (${down.bytes} bytes)`);
  const up = await peer.transfer("send", bytes, `${seed}-up`, TRANSFER_TIMEOUT_MS);
  if (up.answer !== `${bytes} ${streamSha256(`${seed}-up`, bytes)}`)
    throw new Error(`${peer.stack} ${cond}: sink answered ${up.answer}`);
  return { sends: bytes / MB / down.seconds, receives: bytes / MB / up.seconds };
}

async function idleKiBPerConnection(peer: ImpairedPeer): Promise<number> {
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
  const before = rssKiB(peer.peerPid);
  const holder = new JsonLinesChild(
    peer.wgNs.spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/tcp-idle-holder.ts",
        PEER_TUNNEL,
        String(PEER_SINK),
        String(IDLE_CONNECTIONS),
      ],
      { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] },
    ),
  );
  await holder.waitFor((o) => o.event === "ready", "idle connections open", 120_000);
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
  const after = rssKiB(peer.peerPid);
  await stopChild(holder.child);
  return (after - before) / IDLE_CONNECTIONS;
}

/** TETHER_IMPAIRED_CONDITIONS=clean,loss 1% runs only those (names as in LINK_CONDITIONS). */
const CONDITIONS = LINK_CONDITIONS.filter((c) =>
  (process.env.TETHER_IMPAIRED_CONDITIONS ?? c.name).split(",").includes(c.name),
);
for (const cond of CONDITIONS) {
  const bytes = Math.round((BYTES[cond.name] ?? 4 * MB) * SCALE);
  results[cond.name] = { sends: {}, receives: {} } as Record<Direction, Record<PeerStack, number>>;
  for (const stack of STACKS) {
    console.log(`${cond.name}: ${stack}, ${(bytes / MB).toFixed(0)} MB each way...`);
    const peer = await startImpairedPeer(stack, cond, stack === "baseline" ? BASELINE : undefined);
    try {
      const r = await measure(peer, cond.name, bytes);
      results[cond.name]!.sends[stack] = r.sends;
      results[cond.name]!.receives[stack] = r.receives;
      console.log(
        `  sends ${r.sends.toFixed(2)} MB/s, receives ${r.receives.toFixed(2)} MB/s; link ${JSON.stringify(peer.linkCounters())}`,
      );
      if (cond.name === "clean" && stack !== "linux") idleRss[stack] = await idleKiBPerConnection(peer);
    } finally {
      await peer.teardown();
    }
  }
}

const fmt = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2)).padStart(8);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
console.log(`\nMB/s, one transfer per cell (far end: Linux through wireguard-go)\n`);
console.log(
  `${"condition".padEnd(32)} ${"stack".padEnd(9)} ${"ours".padStart(8)} ${"baseline".padStart(8)} ${"linux".padStart(8)} ${"gvisor".padStart(8)} ${"ours/gv".padStart(8)} ${"ours/lx".padStart(8)} ${"ours/base".padStart(9)}`,
);
const ratios: Record<
  string,
  Record<Direction, { vsGvisor?: number; vsLinux?: number; vsBaseline?: number }>
> = {};
for (const cond of CONDITIONS) {
  ratios[cond.name] = { sends: {}, receives: {} };
  for (const dir of ["sends", "receives"] as const) {
    const r = results[cond.name]![dir];
    const vsGvisor = ratio(r.ours, r.gvisor);
    const vsLinux = ratio(r.ours, r.linux);
    const vsBaseline = ratio(r.ours, r.baseline);
    ratios[cond.name]![dir] = { vsGvisor, vsLinux, vsBaseline };
    console.log(
      `${cond.name.padEnd(32)} ${dir.padEnd(9)} ${fmt(r.ours)} ${fmt(r.baseline)} ${fmt(r.linux)} ${fmt(r.gvisor)} ${fmt(vsGvisor)} ${fmt(vsLinux)} ${fmt(vsBaseline).padStart(9)}`,
    );
  }
}
console.log(
  `\nVmRSS per idle connection (${IDLE_CONNECTIONS} held, clean link): ${Object.entries(idleRss)
    .map(([k, v]) => `${k} ${v.toFixed(2)} KiB`)
    .join(", ")}`,
);
const heapRoots: [string, string][] = [["ours", REPO_ROOT]];
if (BASELINE) heapRoots.push(["baseline", BASELINE]);
const heapPerConnection: Record<string, number> = {};
for (const [name, root] of heapRoots) {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "bench/tcp-idle-heap.ts", root, "2000"],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  heapPerConnection[name] = (
    JSON.parse(out.trim().split("\n").at(-1)!) as { bytesPerConnection: number }
  ).bytesPerConnection;
}
const heapRatio = ratio(heapPerConnection.ours, heapPerConnection.baseline);
console.log(
  `JS heap per idle TcpConnection (4000, forced GC): ${Object.entries(heapPerConnection)
    .map(([k, v]) => `${k} ${v.toFixed(0)} B`)
    .join(", ")}${heapRatio === undefined ? "" : `; ours/baseline ${heapRatio.toFixed(3)}`}`,
);
console.log(
  `BENCH_JSON ${JSON.stringify({ mbPerSecond: results, ratios, idleKiBPerConnection: idleRss, heapBytesPerConnection: heapPerConnection })}`,
);
