/**
 * `tether agent ping`: proves the tunnel end to end from inside the agent's own
 * IP stack. Each probe carries random bytes; a reply counts only if its bytes
 * come back exactly, so a reply proves the whole path (WireGuard both ways, the
 * peer's stack, its echo responder), not merely that something answered.
 *
 * Two kinds, because both matter to users and to tests:
 * - ICMP echo (what `ping` does), answered by the peer's ICMP layer;
 * - UDP to the peer's echo port 7, answered by the peer's UDP layer.
 *
 * Each probe also records which path (direct or relay) the peer was on when the
 * reply arrived, so a test can show where traffic went.
 */
import { randomBytes, randomInt } from "node:crypto";
import { z } from "zod";
import { UDP_ECHO_PORT } from "../engine/engine.ts";
import type { NetStack } from "../net/stack.ts";
import type { Udp } from "../net/udp.ts";

/** Bytes of a UDP probe that carry its sequence number; the rest is random. */
const UDP_SEQ_BYTES = 4;

export const PingRequestSchema = z
  .object({
    target: z.string().min(1).max(253),
    protocol: z.enum(["icmp", "udp"]).default("icmp"),
    count: z.number().int().min(1).max(1000).default(4),
    /** Payload bytes, as `ping -s`. */
    size: z.number().int().min(UDP_SEQ_BYTES).max(65_507).default(56),
    intervalMs: z.number().int().min(10).max(10_000).default(200),
    timeoutMs: z.number().int().min(10).max(10_000).default(1_000),
  })
  .strict();

export type PingRequest = z.output<typeof PingRequestSchema>;
export type PathName = "direct" | "relay" | "none";

export interface PingProbe {
  seq: number;
  /** Wall-clock time the probe left (ms since the epoch), to line probes up with events. */
  sentAtMs: number;
  ok: boolean;
  rttMs: number | null;
  /** The peer's path when the reply arrived (or when the probe timed out). */
  path: PathName;
  error?: "timeout" | "mismatch";
}

export interface PingReport {
  target: string;
  cluster: string | null;
  ip: string;
  protocol: "icmp" | "udp";
  size: number;
  sent: number;
  received: number;
  lossPercent: number;
  rttMs: { min: number; avg: number; max: number } | null;
  probes: PingProbe[];
}

export interface PingHost {
  stack: NetStack;
  udp: Udp;
  /** A peer by cluster name or mesh IP; null when there is no such peer. */
  resolve(target: string): { ip: number; ipText: string; cluster: string | null } | null;
  pathTo(ip: number): PathName;
}

interface Pending {
  seq: number;
  sentAtMs: number;
  sentAt: number;
  data: Uint8Array;
  done: (probe: PingProbe) => void;
}

export async function ping(host: PingHost, req: PingRequest): Promise<PingReport> {
  const peer = host.resolve(req.target);
  if (!peer) throw new PingError(`no peer "${req.target}" in the netmap (a cluster name or mesh IP)`);
  const limit = req.protocol === "icmp" ? host.stack.maxPayload - 8 : host.udp.maxDatagram;
  if (req.size > limit) {
    throw new PingError(
      `size ${req.size} exceeds the largest ${req.protocol} payload at this MTU (${limit})`,
    );
  }

  const pending = new Map<number, Pending>();
  const onReply = (seq: number, data: Uint8Array) => {
    const p = pending.get(seq);
    if (!p) return; // late (already timed out) or not ours
    pending.delete(seq);
    const ok = equalBytes(p.data, data);
    p.done({
      seq,
      sentAtMs: p.sentAtMs,
      ok,
      rttMs: ok ? round3(performance.now() - p.sentAt) : null,
      path: host.pathTo(peer.ip),
      ...(ok ? {} : { error: "mismatch" as const }),
    });
  };

  let release: () => void;
  let send: (seq: number, data: Uint8Array) => void;
  if (req.protocol === "icmp") {
    const id = claim(
      (candidate) =>
        host.stack.icmp.onEchoReply(candidate, (src, seq, data) => {
          if (src === peer.ip) onReply(seq, data);
        }),
      () => randomInt(0, 0x10000),
    );
    release = id.release;
    send = (seq, data) => host.stack.icmp.sendEchoRequest(peer.ip, id.value, seq & 0xffff, data);
  } else {
    const port = claim(
      (candidate) =>
        host.udp.bind(candidate, (src, srcPort, data) => {
          if (src !== peer.ip || srcPort !== UDP_ECHO_PORT || data.length < UDP_SEQ_BYTES) return;
          onReply(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0), data);
        }),
      () => randomInt(49_152, 65_536),
    );
    release = port.release;
    send = (_seq, data) => host.udp.sendTo(port.value, peer.ip, UDP_ECHO_PORT, data);
  }

  const results: Promise<PingProbe>[] = [];
  try {
    for (let seq = 0; seq < req.count; seq++) {
      if (seq > 0) await sleep(req.intervalMs);
      const data = new Uint8Array(randomBytes(req.size));
      // UDP has no sequence field, so a UDP probe carries its number in its first bytes.
      if (req.protocol === "udp") new DataView(data.buffer).setUint32(0, seq >>> 0);
      const sentAtMs = Date.now();
      results.push(
        new Promise<PingProbe>((resolve) => {
          const timer = setTimeout(() => {
            pending.delete(seq);
            resolve({ seq, sentAtMs, ok: false, rttMs: null, path: host.pathTo(peer.ip), error: "timeout" });
          }, req.timeoutMs);
          pending.set(seq, {
            seq,
            sentAtMs,
            sentAt: performance.now(),
            data,
            done: (probe) => {
              clearTimeout(timer);
              resolve(probe);
            },
          });
        }),
      );
      send(seq, data);
    }
    return summarise(req, peer, await Promise.all(results));
  } finally {
    release();
  }
}

function summarise(
  req: PingRequest,
  peer: { ipText: string; cluster: string | null },
  probes: PingProbe[],
): PingReport {
  const rtts = probes.filter((p) => p.ok && p.rttMs !== null).map((p) => p.rttMs!);
  const received = rtts.length;
  return {
    target: req.target,
    cluster: peer.cluster,
    ip: peer.ipText,
    protocol: req.protocol,
    size: req.size,
    sent: probes.length,
    received,
    lossPercent: round3(((probes.length - received) / probes.length) * 100),
    rttMs:
      received === 0
        ? null
        : {
            min: Math.min(...rtts),
            avg: round3(rtts.reduce((a, b) => a + b, 0) / received),
            max: Math.max(...rtts),
          },
    probes,
  };
}

/** Tries random identifiers (ICMP id or UDP port) until one is free; a handful of tries is plenty. */
function claim(
  take: (candidate: number) => () => void,
  pick: () => number,
): { value: number; release: () => void } {
  let last: unknown;
  for (let i = 0; i < 32; i++) {
    const value = pick();
    try {
      return { value, release: take(value) };
    } catch (e) {
      last = e;
    }
  }
  throw new PingError(`no free identifier for the ping: ${(last as Error).message}`);
}

export class PingError extends Error {}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
