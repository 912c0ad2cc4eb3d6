/**
 * What the relay object sees of a pair's traffic: WebSocket messages ("frames"),
 * each carrying one or more WireGuard datagrams. Cloudflare bills and rate-limits
 * a Durable Object on incoming messages, so datagrams per frame and frames per
 * second are the relay's real costs. Used by relay.bench.ts; counts come from the
 * agents' relay clients (every frame either agent sends is one message into the
 * object).
 */
import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";
import type { Agent } from "../agent/daemon/agent.ts";

/** Cloudflare's documented soft limit for one Durable Object, used to model a pair's ceiling. */
export const OBJECT_MESSAGES_PER_SECOND = 1_000;

interface RelayCounts {
  datagramsOut: number;
  framesOut: number;
  pings: number;
}

function counts(a: Agent): RelayCounts {
  const c = a.counters;
  return { datagramsOut: c.relayDatagramsOut, framesOut: c.relayFramesOut, pings: c.relayPings };
}

function diff(after: RelayCounts, before: RelayCounts): RelayCounts {
  return {
    datagramsOut: after.datagramsOut - before.datagramsOut,
    framesOut: after.framesOut - before.framesOut,
    pings: after.pings - before.pings,
  };
}

export interface FrameSample {
  seconds: number;
  /** Both directions together: every frame either agent sent is one message into the object. */
  datagrams: number;
  frames: number;
  datagramsPerFrame: number;
  /** Binary messages into the object per second (pings excluded: the runtime answers those). */
  messagesPerSecond: number;
  /** "ping" text messages per second; auto-answered, they never wake the object. */
  pingsPerSecond: number;
  perDirection: { a: RelayCounts; b: RelayCounts };
}

/** Runs `work` and returns what both agents sent on their relays meanwhile. */
export async function sampleFrames(a: Agent, b: Agent, work: () => Promise<unknown>): Promise<FrameSample> {
  const a0 = counts(a);
  const b0 = counts(b);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const da = diff(counts(a), a0);
  const db = diff(counts(b), b0);
  const datagrams = da.datagramsOut + db.datagramsOut;
  const frames = da.framesOut + db.framesOut;
  return {
    seconds,
    datagrams,
    frames,
    datagramsPerFrame: frames === 0 ? 0 : datagrams / frames,
    messagesPerSecond: frames / seconds,
    pingsPerSecond: (da.pings + db.pings) / seconds,
    perDirection: { a: da, b: db },
  };
}

/**
 * Bulk TCP: `bytes` through `port` (a forward on the sending agent to a sink
 * exposed by the other), checked byte-exact by the sink's digest.
 */
export function pushThroughForward(port: number, bytes: number): Promise<void> {
  const data = randomBytes(bytes);
  const want = `${data.length} ${createHash("sha256").update(data).digest("hex")}`;
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let answer = "";
    sock.on("data", (c) => {
      answer += c.toString();
    });
    sock.on("end", () =>
      answer === want ? resolve() : reject(new Error(`sink answered "${answer}", want "${want}"`)),
    );
    sock.on("error", reject);
    sock.on("connect", async () => {
      const step = 256 * 1024;
      for (let off = 0; off < data.length; off += step) {
        if (!sock.write(data.subarray(off, off + step))) await new Promise((r) => sock.once("drain", r));
      }
      sock.end();
    });
  });
}

/**
 * The modeled ceiling of one pair: the object takes OBJECT_MESSAGES_PER_SECOND
 * messages in both directions together, and each carried `bytes / frames` of user data.
 */
export function modeledCeilingMbit(userBytes: number, frames: number): number {
  return frames === 0 ? 0 : ((userBytes / frames) * OBJECT_MESSAGES_PER_SECOND * 8) / 1e6;
}
