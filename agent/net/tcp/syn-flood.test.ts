/**
 * A SYN flood from one mesh peer must not close a listener to the others:
 * three real TCP layers on a simulated network, the flooder's SYN-ACKs lost
 * so its 1,000 connections stay half-open.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SimNetwork } from "../../../test/net/tcp/sim-network.ts";
import { IP_A, IP_B, Pump, Sink, sha256 } from "../../../test/net/tcp/test-harness.ts";
import type { TcpConnection } from "./connection.ts";
import { TcpLayer } from "./tcp-layer.ts";

const IP_FLOODER = 0x0a000003;
const FLOOD_SYNS = 1_000;

function layer(net: SimNetwork, ip: number): TcpLayer {
  const r = net.random();
  const l = new TcpLayer({ localIp: ip, send: net.send, now: net.clock, randomUint32: () => r.uint32() });
  net.attach(ip, l);
  return l;
}

describe("SYN flood from one peer", () => {
  it("1,000 unanswered SYNs from one peer leave the listener open to another peer", () => {
    const net = new SimNetwork(22);
    const honest = layer(net, IP_A);
    const server = layer(net, IP_B);
    const flooder = layer(net, IP_FLOODER);
    // Every answer to the flooder is lost: its connections never leave SYN-RECEIVED on the server.
    net.tap = (_packet, h) => h.dst !== IP_FLOODER;

    const accepted: TcpConnection[] = [];
    const listener = server.listen(80, (c) => accepted.push(c));
    for (let i = 0; i < FLOOD_SYNS / 2; i++) flooder.connect(IP_B, 80);
    net.runUntil(() => false, 50);
    expect(listener.halfOpen).toBe(server.config.maxSynBacklog);

    // The honest peer connects in the middle of the flood, which goes on around it.
    const client = honest.connect(IP_B, 80);
    for (let i = 0; i < FLOOD_SYNS / 2; i++) flooder.connect(IP_B, 80);
    expect(net.runUntil(() => client.state === "ESTABLISHED" && accepted.length === 1, 1_000)).toBe(true);
    expect(accepted[0]!.remoteIp).toBe(IP_A);

    // And it carries data both ways, byte-exact.
    const up = new Uint8Array(randomBytes(200_000));
    const down = new Uint8Array(randomBytes(50_000));
    const atServer = new Sink(accepted[0]!);
    const atClient = new Sink(client);
    new Pump(client, up);
    new Pump(accepted[0]!, down);
    expect(net.runUntil(() => atServer.ended && atClient.ended, 30_000)).toBe(true);
    expect(sha256(Buffer.concat(atServer.chunks))).toBe(sha256(up));
    expect(sha256(Buffer.concat(atClient.chunks))).toBe(sha256(down));

    // The flooder never held more than the backlog, and only ever pushed out its own entries.
    expect(listener.halfOpen).toBeLessThanOrEqual(server.config.maxSynBacklog);
    expect(server.stats.synBacklogEvicted).toBe(1);
    expect(server.stats.synBacklogFull).toBeGreaterThanOrEqual(FLOOD_SYNS - server.config.maxSynBacklog);
  });
});
