/**
 * TCP through the tunnel between two real agents (`tether agent up` children)
 * and a real local platform, on loopback: `forward` on one agent, `expose` on
 * the other, and the SOCKS5 proxy. Services behind the expose are plain Node
 * servers in this test process; clients are Node sockets and curl.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, connect, createServer, type Server } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { type AgentProcess, agentForward, startAgent, waitFor } from "../helpers/agent-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";
import { sinkServer } from "../helpers/tcp-services.ts";

const run = promisify(execFile);

let platform: Platform;
let hub: AgentProcess;
let spoke: AgentProcess;
let digestServer: Server;
let echoServer: Server;
let httpServer: HttpServer;
let forwardPort = 0;
const agents: AgentProcess[] = [];

function listen<T extends Server | HttpServer>(s: T): Promise<T> {
  return new Promise((r) => s.listen(0, "127.0.0.1", () => r(s)));
}
const portOf = (s: Server | HttpServer) => (s.address() as AddressInfo).port;

async function api<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Sends `data` through host:port, half-closes, and returns everything the far side answered. */
function roundTrip(port: number, data: Uint8Array, onProgress?: (sent: number) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.on("data", (c) => chunks.push(c));
    sock.on("end", () => resolve(Buffer.concat(chunks)));
    sock.on("error", reject);
    sock.on("connect", async () => {
      const step = 256 * 1024;
      for (let off = 0; off < data.length; off += step) {
        if (!sock.write(data.subarray(off, off + step))) await new Promise((r) => sock.once("drain", r));
        onProgress?.(off + step);
      }
      sock.end();
    });
  });
}

/** `tether agent forward TO` on the hub (a free local port); returns that port. */
const forwardOnHub = (to: string) => agentForward(hub, to);

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  [digestServer, echoServer, httpServer] = await Promise.all([
    listen(sinkServer()),
    listen(createServer((sock) => sock.pipe(sock).on("error", () => {}))),
    listen(createHttpServer((req, res) => res.end(`hello from spoke: ${req.method} ${req.url}`))),
  ]);
  platform = await startPlatform();
  const h = await api<CreateClusterResponse>("/api/v1/clusters", "POST", {
    name: "hub",
    displayName: "Hub",
    local: true,
  });
  const s = await api<CreateClusterResponse>("/api/v1/clusters", "POST", {
    name: "spoke",
    displayName: "Spoke",
    annotations: {
      "loft.sh/agent-values": [
        "expose:",
        `  - { port: 7000, target: "127.0.0.1:${portOf(digestServer)}" }`,
        `  - { port: 7007, target: "127.0.0.1:${portOf(echoServer)}" }`,
        `  - { port: 8080, target: "127.0.0.1:${portOf(httpServer)}" }`,
        '  - { port: 7999, target: "127.0.0.1:1" }', // exposed, but nothing listens behind it
        "",
      ].join("\n"),
    },
  });
  [hub, spoke] = await Promise.all([
    startAgent({ platform: platform.url, cluster: "hub", psk: h.psk, args: ["--socks5", "127.0.0.1:0"] }),
    startAgent({ platform: platform.url, cluster: "spoke", psk: s.psk }),
  ]);
  agents.push(hub, spoke);
  await waitFor("spoke exposes its ports", async () => (await spoke.status()).expose.length === 4, 15_000);
  await waitFor(
    "hub sees spoke",
    async () => (await hub.status()).peers.some((p) => p.cluster === "spoke"),
    15_000,
  );
}, 200_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true)));
  await platform?.stop();
  for (const s of [digestServer, echoServer, httpServer]) s?.close();
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    for (const a of agents) {
      const st = await a.status().catch(() => null);
      console.error(
        `--- ${a.cluster}: ${JSON.stringify(st && { peers: st.peers, tcp: st.tcp, forwards: st.forwards })}`,
      );
      console.error(a.log().split("\n").slice(-30).join("\n"));
    }
  });
});

describe("forward -> expose between two agents", () => {
  it("tether agent forward opens a local listener on the running agent", async () => {
    const r = await runTether([
      "--json",
      "agent",
      "forward",
      "spoke:7000",
      "--listen",
      "127.0.0.1:0",
      "--state",
      hub.stateDir,
    ]);
    expect(r.stderr).toBe("");
    const f = JSON.parse(r.stdout) as { address: string; peer: string; port: number };
    expect(f).toMatchObject({ peer: "spoke", port: 7000 });
    forwardPort = Number(f.address.split(":")[1]);
    expect(forwardPort).toBeGreaterThan(0);
    const bad = await runTether(["agent", "forward", "nobody:7000", "--state", hub.stateDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no peer "nobody"/);
    const malformed = await runTether(["agent", "forward", "spoke", "--state", hub.stateDir]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/expected/);
  });

  it("carries 20 MB byte-exact on the direct path", async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const started = performance.now();
    const answer = (await roundTrip(forwardPort, data)).toString();
    const seconds = (performance.now() - started) / 1000;
    expect(answer).toBe(`${data.length} ${sha(data)}`);
    const peer = (await hub.status()).peers.find((p) => p.cluster === "spoke")!;
    expect(peer.path).toBe("direct");
    console.log(`20 MB through forward -> expose, direct: ${(data.length / 1e6 / seconds).toFixed(1)} MB/s`);
  }, 120_000);

  it("echoes both ways byte-exact, through a second forward", async () => {
    const port = await forwardOnHub("spoke:7007");
    const data = randomBytes(3 * 1024 * 1024);
    const back = await roundTrip(port, data);
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
  }, 60_000);

  it("keeps 100 MB byte-exact across direct -> relay -> direct", async () => {
    const data = randomBytes(100 * 1024 * 1024);
    let sent = 0;
    const seen: string[] = [];
    const path = async () => (await hub.status()).peers.find((p) => p.cluster === "spoke")!.path;
    const started = performance.now();
    const transfer = roundTrip(forwardPort, data, (n) => {
      sent = n;
    });
    // Drive the cut from the outside while the bytes flow: the sender is paced by TCP
    // backpressure end to end, so "sent" tracks what the tunnel actually carried.
    const control = (async () => {
      await waitFor("10 MB under way", async () => sent >= 10 * 1024 * 1024, 60_000);
      await hub.blockUdp(true);
      seen.push(
        await waitFor("on the relay", async () => ((await path()) === "relay" ? "relay" : null), 10_000),
      );
      const relayFrom = (await hub.status()).counters.relayDatagramsOut ?? 0;
      await new Promise((r) => setTimeout(r, 2_000));
      const relayed = ((await hub.status()).counters.relayDatagramsOut ?? 0) - relayFrom;
      await hub.blockUdp(false);
      seen.push(
        await waitFor("back on direct", async () => ((await path()) === "direct" ? "direct" : null), 15_000),
      );
      return relayed;
    })();
    const [answer, relayedDatagrams] = await Promise.all([transfer, control]);
    const seconds = (performance.now() - started) / 1000;
    expect(answer.toString()).toBe(`${data.length} ${sha(data)}`);
    expect(seen).toEqual(["relay", "direct"]);
    // Real traffic moved while the relay carried the connection (datagrams the hub sent on it).
    expect(relayedDatagrams).toBeGreaterThan(500);
    console.log(
      `100 MB with a switch to the relay and back: ${seconds.toFixed(1)} s; ${relayedDatagrams} datagrams sent on the relay in 2 s`,
    );
  }, 240_000);

  it("refuses ports the peer does not expose, and reports a target that is down", async () => {
    const closedPort = await forwardOnHub("spoke:9999");
    const downPort = await forwardOnHub("spoke:7999");
    for (const port of [closedPort, downPort]) {
      const ended = await new Promise<string>((resolve) => {
        const sock = connect(port, "127.0.0.1");
        sock.on("data", () => resolve("data"));
        sock.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
        sock.on("close", () => resolve("closed"));
      });
      // The tunnel connection is reset (RST from the peer's stack), so the local socket is torn down.
      expect(["ECONNRESET", "closed"]).toContain(ended);
    }
    const st = await spoke.status();
    expect(st.tcp.resetsSent).toBeGreaterThan(0);
  }, 60_000);
});

describe("forward listeners from agent values", () => {
  it("open on loopback; other addresses are refused without --allow-forward-listen", async () => {
    const [wild, loop] = await Promise.all([freePort(), freePort()]);
    await api("/api/v1/clusters/hub", "PATCH", {
      annotations: {
        "loft.sh/agent-values": [
          "forward:",
          `  - { listen: "0.0.0.0:${wild}", to: "spoke:7007" }`,
          `  - { listen: "127.0.0.1:${loop}", to: "spoke:7007" }`,
          "",
        ].join("\n"),
      },
    });
    await waitFor(
      "the loopback forward from values",
      async () => (await hub.status()).forwards.some((f) => f.address === `127.0.0.1:${loop}`),
      15_000,
    );
    const forwards = (await hub.status()).forwards.map((f) => f.address);
    expect(forwards).not.toContain(`0.0.0.0:${wild}`);
    expect(hub.log()).toContain("agent values: a forward may not listen there");
    const refused = await new Promise<string>((resolve) => {
      const sock = connect(wild, "127.0.0.1");
      sock.on("connect", () => {
        sock.destroy();
        resolve("connected");
      });
      sock.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    const echoed = (await roundTrip(loop, Buffer.from("through a values forward"))).toString();
    expect(echoed).toBe("through a values forward");
    await api("/api/v1/clusters/hub", "PATCH", { annotations: { "loft.sh/agent-values": null } });
  }, 60_000);
});

describe("SOCKS5", () => {
  it("curl reaches <cluster>.tether through it, and nothing else", async () => {
    const socks = (await hub.status()).socks5!;
    expect(socks).toMatch(/^127\.0\.0\.1:\d+$/);
    const ok = await run("curl", [
      "-sS",
      "--max-time",
      "20",
      "--socks5-hostname",
      socks,
      "http://spoke.tether:8080/hi",
    ]);
    expect(ok.stdout).toBe("hello from spoke: GET /hi");
    const byIp = await run("curl", [
      "-sS",
      "--max-time",
      "20",
      "--socks5",
      socks,
      `http://${spoke.meshIp}:8080/ip`,
    ]);
    expect(byIp.stdout).toBe("hello from spoke: GET /ip");
    // Not a mesh name: refused by the proxy (SOCKS reply 2), so curl fails without any outside traffic.
    const refused = await run("curl", [
      "-sS",
      "--max-time",
      "20",
      "--socks5-hostname",
      socks,
      "http://example.com/",
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((refused as { code: number }).code).not.toBe(0);
    expect((refused as { stderr: string }).stderr).toMatch(/not allowed|SOCKS/i);
  }, 60_000);
});
