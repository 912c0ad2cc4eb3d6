import { describe, expect, it } from "vitest";
import { ipToString } from "../net/ipv4.ts";
import { NetStack } from "../net/stack.ts";
import { Udp, udpEcho } from "../net/udp.ts";
import { PingError, type PingHost, PingRequestSchema, ping } from "./ping.ts";

const A = 0x64400001;
const B = 0x64400002;

/**
 * Two real stacks joined by a "wire" the test controls: it can drop or corrupt
 * packets from B back to A, which is what the ping must notice.
 */
function link(mangle: (packet: Uint8Array) => Uint8Array | null = (p) => p) {
  let b: NetStack | null = null;
  const a = new NetStack({ address: A, send: (p) => queueMicrotask(() => b!.input(p, 0)) });
  b = new NetStack({
    address: B,
    send: (p) => {
      const out = mangle(p);
      if (out) queueMicrotask(() => a.input(out, 0));
    },
  });
  udpEcho(new Udp(b), 7);
  const host: PingHost = {
    stack: a,
    udp: new Udp(a),
    resolve: (t) =>
      t === "peer" || t === ipToString(B) ? { ip: B, ipText: ipToString(B), cluster: "peer" } : null,
    pathTo: () => "direct",
  };
  return host;
}

const req = (over: Record<string, unknown>) =>
  PingRequestSchema.parse({ target: "peer", count: 3, intervalMs: 10, timeoutMs: 200, ...over });

describe("ping", () => {
  it.each(["icmp", "udp"] as const)("%s: every probe comes back byte-exact", async (protocol) => {
    const r = await ping(link(), req({ protocol, size: 1000 }));
    expect(r).toMatchObject({
      cluster: "peer",
      ip: "100.64.0.2",
      protocol,
      sent: 3,
      received: 3,
      lossPercent: 0,
    });
    expect(r.probes.map((p) => [p.seq, p.ok, p.path])).toEqual([
      [0, true, "direct"],
      [1, true, "direct"],
      [2, true, "direct"],
    ]);
    expect(r.rttMs!.min).toBeGreaterThanOrEqual(0);
  });

  it("resolves a mesh IP as well as a cluster name", async () => {
    const r = await ping(link(), req({ target: "100.64.0.2", count: 1 }));
    expect(r.received).toBe(1);
  });

  it.each(["icmp", "udp"] as const)(
    "%s: a reply whose bytes changed counts as a mismatch, not a reply",
    async (protocol) => {
      // Flip the last payload byte and recompute the checksum, as a buggy peer would:
      // the packet is valid, its bytes are not what we sent.
      const corrupt = (p: Uint8Array) => {
        const q = p.slice();
        q[q.length - 1]! ^= 0x01;
        fixTransportChecksum(q);
        return q;
      };
      const r = await ping(link(corrupt), req({ protocol, count: 2, size: 64 }));
      expect(r.received).toBe(0);
      expect(r.probes.map((p) => p.error)).toEqual(["mismatch", "mismatch"]);
    },
  );

  it("a dropped reply times out; the others still count", async () => {
    let n = 0;
    const dropSecond = (p: Uint8Array) => (n++ === 1 ? null : p);
    const r = await ping(link(dropSecond), req({ count: 3 }));
    expect(r.received).toBe(2);
    expect(r.probes[1]).toMatchObject({ seq: 1, ok: false, rttMs: null, error: "timeout" });
    expect(r.lossPercent).toBeCloseTo(33.333, 2);
    expect(r.rttMs).not.toBeNull();
  });

  it("refuses an unknown peer and an oversized payload with a clear message", async () => {
    await expect(ping(link(), req({ target: "nobody" }))).rejects.toThrow(PingError);
    await expect(ping(link(), req({ target: "nobody" }))).rejects.toThrow(/no peer "nobody"/);
    await expect(ping(link(), req({ size: 1393 }))).rejects.toThrow(/exceeds the largest icmp payload.*1392/);
    await expect(ping(link(), req({ protocol: "udp", size: 1393 }))).rejects.toThrow(
      /largest udp payload.*\(1392\)/,
    );
  });

  it("releases its identifier afterwards, so pings can run back to back", async () => {
    const host = link();
    for (let i = 0; i < 3; i++)
      expect((await ping(host, req({ protocol: "udp", count: 1 }))).received).toBe(1);
  });

  it("validates requests", () => {
    expect(PingRequestSchema.safeParse({ target: "x" }).success).toBe(true);
    expect(PingRequestSchema.parse({ target: "x" })).toMatchObject({ protocol: "icmp", count: 4, size: 56 });
    for (const bad of [
      {},
      { target: "" },
      { target: "x", count: 0 },
      { target: "x", count: 1001 },
      { target: "x", protocol: "tcp" },
      { target: "x", extra: 1 },
      { target: "x", size: 3 },
    ]) {
      expect(PingRequestSchema.safeParse(bad).success).toBe(false);
    }
  });
});

/** Recomputes the ICMP or UDP checksum of an IPv4 packet with a 20-byte header. */
function fixTransportChecksum(p: Uint8Array): void {
  const proto = p[9];
  const seg = p.subarray(20);
  const at = proto === 1 ? 2 : 6;
  seg[at] = 0;
  seg[at + 1] = 0;
  let sum = 0;
  if (proto === 17) {
    for (let i = 12; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    sum += 17 + seg.length;
  }
  for (let i = 0; i < seg.length; i += 2) sum += (seg[i]! << 8) | (seg[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  seg[at] = c >>> 8;
  seg[at + 1] = c & 0xff;
}
