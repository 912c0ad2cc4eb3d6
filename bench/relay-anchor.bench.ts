/**
 * The relay against the anchor users compare it with: Tailscale's DERP server.
 * In one run on this machine, the same packet size both ways:
 *
 * - derper (tailscale.com/cmd/derper, pinned in test/tools/derper) on loopback,
 *   with derp-pump (a Go DERP client, same directory) pushing packets from one
 *   key to another;
 * - our pair relay: two RelayClients (the agent's own relay client) through the
 *   local platform's Durable Object (wrangler dev: workerd on this machine).
 *
 * Both senders keep at most WINDOW packets in flight (sent, not yet received),
 * like a congestion-controlled tunnel, so neither measures a queue overflowing.
 * Local workerd is not Cloudflare's production runtime: the ratio says how our
 * relay path compares on one machine, not what a deployed relay does.
 *
 *   npm run bench -- relay-anchor
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { RelayClient } from "../agent/relay/relay-client.ts";
import { generatePrivateKey, keyToBase64, publicKeyFrom } from "../agent/wireguard/index.ts";
import type { CreateClusterResponse, RegisterResponse } from "../protocol/api.ts";
import { freePort } from "../test/helpers/free-port.ts";
import { goToolBin } from "../test/helpers/go-tools.ts";
import { type Platform, startPlatform } from "../test/helpers/platform.ts";

const run = promisify(execFile);

/** A full WireGuard datagram for a 1420-byte tunnel MTU (1420 + 32 bytes of header and tag). */
const PACKET = 1452;
const SECONDS = 3;
const WINDOW = 4096;

interface Result {
  packetsPerSecond: number;
  mbitPerSecond: number;
  sent: number;
  received: number;
  seconds: number;
}

async function waitHttp(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function derper(): Promise<Result> {
  const bin = goToolBin("derper");
  const dir = await mkdtemp(join(tmpdir(), "tether-derper-"));
  const port = await freePort();
  let child: ChildProcess | null = null;
  try {
    child = spawn(
      join(bin, "derper"),
      [
        "-c",
        join(dir, "derper.json"),
        "-a",
        `127.0.0.1:${port}`,
        "-http-port",
        "-1",
        "-stun=false",
        "-home",
        "blank",
      ],
      { stdio: "ignore" },
    );
    await waitHttp(`http://127.0.0.1:${port}/`, 15_000);
    const { stdout } = await run(join(bin, "derp-pump"), [
      "-server",
      `http://127.0.0.1:${port}/derp`,
      "-size",
      String(PACKET),
      "-seconds",
      String(SECONDS),
      "-window",
      String(WINDOW),
    ]);
    const r = JSON.parse(stdout) as {
      sent: number;
      received: number;
      seconds: number;
      packetsPerSecond: number;
      mbitPerSecond: number;
    };
    return r;
  } finally {
    child?.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

async function api<T>(platform: Platform, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function credentialFor(platform: Platform, name: string): Promise<string> {
  const { psk } = await api<CreateClusterResponse>(platform, "POST", "/api/v1/clusters", {
    name,
    displayName: name,
  });
  const r = await api<RegisterResponse>(platform, "POST", "/api/v1/agent/register", {
    cluster: name,
    psk,
    publicKey: keyToBase64(publicKeyFrom(generatePrivateKey())),
    clusterUid: `bench-${name}`,
    version: "0.1.0-bench",
  });
  return r.credential;
}

async function ours(platform: Platform): Promise<Result> {
  await api(platform, "PUT", "/api/v1/config", { peering: "mesh", agentValues: {} });
  const [a, b] = await Promise.all([
    credentialFor(platform, "anchor-a"),
    credentialFor(platform, "anchor-b"),
  ]);
  let received = 0;
  const sender = new RelayClient({
    platformUrl: platform.url,
    peer: "anchor-b",
    credential: a,
    onDatagram: () => {},
  });
  const receiver = new RelayClient({
    platformUrl: platform.url,
    peer: "anchor-a",
    credential: b,
    onDatagram: (d) => {
      if (d.length === PACKET) received++;
    },
  });
  sender.start();
  receiver.start();
  try {
    const until = async (what: string, cond: () => boolean) => {
      const end = Date.now() + 20_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until("both relay sockets open", () => sender.state === "open" && receiver.state === "open");
    const payload = new Uint8Array(PACKET).fill(0xa5);
    // Prime until the object pairs the two sides (a frame before that is dropped as "no peer").
    await until("first packet through", () => {
      sender.send(payload);
      return received > 0;
    });
    await new Promise((r) => setTimeout(r, 200));
    const base = received;
    let sent = 0;
    const start = performance.now();
    const deadline = start + SECONDS * 1000;
    while (performance.now() < deadline) {
      const inFlight = sent - (received - base);
      if (inFlight < WINDOW) {
        const n = Math.min(64, WINDOW - inFlight);
        for (let i = 0; i < n; i++) if (sender.send(payload)) sent++;
      }
      await new Promise((r) => setImmediate(r));
    }
    const seconds = (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 500)); // stragglers count, as in derp-pump
    const got = received - base;
    return {
      sent,
      received: got,
      seconds,
      packetsPerSecond: got / seconds,
      mbitPerSecond: (got * PACKET * 8) / seconds / 1e6,
    };
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
}

async function main() {
  const derp = await derper();
  console.log("starting a local platform (wrangler dev + local D1)...");
  const platform = await startPlatform();
  let relay: Result;
  try {
    relay = await ours(platform);
  } finally {
    await platform.stop();
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log(
    `\nrelay anchor: ${PACKET}-byte packets, ${SECONDS} s, at most ${WINDOW} in flight, one machine, loopback\n`,
  );
  console.log("relay                               packets/s    Mbit/s   delivered");
  for (const [label, r] of [
    ["derper (tailscale.com v1.102.5)", derp],
    ["ours: pair relay in local workerd", relay],
  ] as const) {
    console.log(
      `${label.padEnd(34)}  ${f(r.packetsPerSecond).padStart(9)}  ${f(r.mbitPerSecond, 1).padStart(8)}   ${r.received}/${r.sent}`,
    );
  }
  const ratio = relay.packetsPerSecond / derp.packetsPerSecond;
  console.log(
    `ratio ours/derper: ${ratio.toFixed(2)}x  (local workerd is not production: Cloudflare's runtime, network and per-object limits differ)`,
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({
      baseline: "derper (tailscale.com/cmd/derper v1.102.5) on loopback, derp-pump client",
      note: "local workerd is not production",
      packetBytes: PACKET,
      seconds: SECONDS,
      derperPacketsPerSecond: Math.round(derp.packetsPerSecond),
      derperMbitPerSecond: Number(derp.mbitPerSecond.toFixed(1)),
      oursPacketsPerSecond: Math.round(relay.packetsPerSecond),
      oursMbitPerSecond: Number(relay.mbitPerSecond.toFixed(1)),
      ratio: Number(ratio.toFixed(3)),
    })}`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
