/**
 * The relay at its limits, with two real agents (`tether agent up` children)
 * and a real local platform, UDP cut on both agents so the relay is the only
 * path:
 *
 * - an idle relayed pair sleeps: what both agents send into the relay object
 *   (WebSocket messages, counted by the agents' relay clients) over a
 *   shortened idle run, against the 16 messages/s it cost before the probe
 *   backoff (the ten-minute figure is agent/paths/idle-relay.test.ts's);
 * - a relayed TCP stream survives a platform restart byte-exact, and the gap
 *   (the longest stretch without progress) is measured.
 */
import { createHash, randomBytes } from "node:crypto";
import { type AddressInfo, connect, type Server } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { type AgentProcess, agentForward, startAgent, waitFor } from "../helpers/agent-process.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { sinkServer } from "../helpers/tcp-services.ts";

let platform: Platform;
let hub: AgentProcess;
let spoke: AgentProcess;
let sink: Server;
const agents: AgentProcess[] = [];

async function api<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const pathTo = async (a: AgentProcess, peer: string) =>
  (await a.status()).peers.find((p) => p.cluster === peer)?.path;
/** WebSocket messages both agents have sent into the pair's relay object. */
const messagesIntoObject = async () =>
  ((await hub.status()).counters.relayFramesOut ?? 0) + ((await spoke.status()).counters.relayFramesOut ?? 0);

beforeAll(async () => {
  sink = sinkServer();
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
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
      "loft.sh/agent-values": `expose:\n  - { port: 7000, target: "127.0.0.1:${(sink.address() as AddressInfo).port}" }\n`,
    },
  });
  [hub, spoke] = await Promise.all([
    startAgent({ platform: platform.url, cluster: "hub", psk: h.psk }),
    startAgent({ platform: platform.url, cluster: "spoke", psk: s.psk }),
  ]);
  agents.push(hub, spoke);
  await Promise.all([hub.blockUdp(true), spoke.blockUdp(true)]);
  await waitFor("spoke exposes 7000", async () => (await spoke.status()).expose.length === 1, 15_000);
  // A ping is traffic: it starts the session and proves the relay without waiting for keepalives.
  await waitFor(
    "hub on the relay",
    async () => {
      const r = await hub
        .ping({ target: "spoke", protocol: "udp", count: 1, size: 64, timeoutMs: 1_000 })
        .catch(() => null);
      return r?.received === 1 && (await pathTo(hub, "spoke")) === "relay" ? true : null;
    },
    90_000,
  );
}, 200_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop(true)));
  await platform?.stop();
  sink?.close();
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(async () => {
    for (const a of agents) {
      const st = await a.status().catch(() => null);
      console.error(`--- ${a.cluster}: ${JSON.stringify(st && { peers: st.peers, counters: st.counters })}`);
      console.error(a.log().split("\n").slice(-30).join("\n"));
    }
  });
});

/** Sends `data` through the forward, half-closes, returns the sink's answer and the longest stall. */
function transfer(
  port: number,
  data: Uint8Array,
  onProgress: (sent: number) => void,
): Promise<{ answer: string; longestStallMs: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let answer = "";
    let last = performance.now();
    let longest = 0;
    const progressed = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    };
    sock.on("data", (c) => {
      answer += c.toString();
    });
    sock.on("end", () => resolve({ answer, longestStallMs: longest }));
    sock.on("error", reject);
    sock.on("connect", async () => {
      const step = 64 * 1024;
      for (let off = 0; off < data.length; off += step) {
        if (!sock.write(data.subarray(off, off + step))) await new Promise((r) => sock.once("drain", r));
        progressed();
        onProgress(off + step);
      }
      sock.end();
    });
  });
}

describe("the relay at its limits", () => {
  it("an idle relayed pair sends next to nothing into the relay object", async () => {
    // Some traffic first, so both sides have a session and a proven relay.
    const port = await agentForward(hub, "spoke:7000");
    const data = randomBytes(256 * 1024);
    const { answer } = await transfer(port, data, () => {});
    expect(answer).toBe(`${data.length} ${sha(data)}`);
    const start = await messagesIntoObject();
    await new Promise((r) => setTimeout(r, 60_000));
    const firstMinute = (await messagesIntoObject()) - start;
    await new Promise((r) => setTimeout(r, 60_000));
    const secondMinute = (await messagesIntoObject()) - start - firstMinute;
    console.log(
      `idle relayed pair: ${firstMinute} messages into the relay object in the first minute (probes backing off), ${secondMinute} in the second (${(secondMinute / 60).toFixed(3)}/s; 16/s before)`,
    );
    // Before the backoff: 16 messages a second, about 960 a minute.
    expect(firstMinute).toBeLessThan(60);
    // The 0.1/s target is over ten minutes (agent/paths/idle-relay.test.ts, on a fake clock); one
    // real minute may also hold a backed-off probe round and a rekey's handshake (6 and 7 seen here),
    // so it is held to 0.2/s, against about 960 a minute before the backoff.
    expect(secondMinute).toBeLessThanOrEqual(12);
    expect(await pathTo(hub, "spoke")).toBe("relay");
    expect(await pathTo(spoke, "hub")).toBe("relay");
  }, 200_000);

  it("keeps a relayed TCP stream byte-exact across a platform restart, and measures the gap", async () => {
    const port = await agentForward(hub, "spoke:7000");
    const data = randomBytes(24 * 1024 * 1024);
    const reconnectsBefore = (await hub.status()).peers.find((p) => p.cluster === "spoke")!.relayReconnects;
    let sent = 0;
    const running = transfer(port, data, (n) => {
      sent = n;
    });
    await waitFor("4 MB under way", async () => sent >= 4 * 1024 * 1024, 60_000);
    const restartStarted = performance.now();
    await platform.restart();
    const restartMs = performance.now() - restartStarted;
    const { answer, longestStallMs } = await running;
    expect(answer).toBe(`${data.length} ${sha(data)}`);
    const peer = (await hub.status()).peers.find((p) => p.cluster === "spoke")!;
    expect(peer.relayReconnects).toBeGreaterThan(reconnectsBefore);
    expect(peer.path).toBe("relay");
    console.log(
      `24 MB relayed across a platform restart: byte-exact; the restart took ${Math.round(restartMs)} ms, the longest stall at the sender was ${Math.round(longestStallMs)} ms`,
    );
  }, 240_000);
});
