import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { type StunServer, startStunServer } from "../../test/helpers/stun-server.ts";
import { until } from "../../test/helpers/until.ts";
import { createLogger } from "../util/logger.ts";
import type { Endpoint } from "../wireguard/actions.ts";
import { Conn, type ConnOptions, NETWORK_CHECK_MS, STUN_REFRESH_MS, STUN_RETRY_MS } from "./conn.ts";

/** Conn's decisions with a fake clock; its socket, and the STUN server, are real and on loopback. */

describe("Conn", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function conn(over: Partial<ConnOptions> = {}) {
    const clock = new FakeClock();
    const seen = {
      datagrams: [] as { data: number[]; from: Endpoint }[],
      endpointChanges: [] as string[][],
      networkChanges: 0,
    };
    const c = new Conn({
      clock,
      log: createLogger("error", () => {}),
      listenPort: 0,
      advertiseAddresses: ["127.0.0.1"],
      onDatagram: (data, from) => seen.datagrams.push({ data: [...data], from }),
      onEndpointsChanged: (eps) => seen.endpointChanges.push(eps),
      onNetworkChanged: () => {
        seen.networkChanges++;
      },
      localAddresses: () => "eth0=192.0.2.10",
      ...over,
    });
    await c.bind();
    cleanups.push(() => c.close());
    return { c, clock, seen };
  }

  async function stun(mapHost: string): Promise<StunServer> {
    const s = await startStunServer({ mapHost });
    cleanups.push(() => s.close());
    return s;
  }

  async function udpPeer(): Promise<{ socket: Socket; port: number; got: Buffer[] }> {
    const socket = createSocket("udp4");
    const got: Buffer[] = [];
    socket.on("message", (m) => got.push(m));
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
    return { socket, port: socket.address().port, got };
  }

  it("offers the observed address first, then STUN's, then its own, without duplicates", async () => {
    const { c, clock } = await conn();
    const server = await stun("127.0.0.2");
    expect(c.endpoints()).toEqual([`127.0.0.1:${c.listenPort}`]);
    c.setObservedEndpoint(`198.51.100.7:${c.listenPort}`);
    c.setStunServers([`127.0.0.1:${server.port}`]);
    c.tick(clock.now());
    await until("the STUN answer", () => c.endpoints().length === 3);
    expect(c.endpoints()).toEqual([
      `198.51.100.7:${c.listenPort}`,
      `127.0.0.2:${c.listenPort}`,
      `127.0.0.1:${c.listenPort}`,
    ]);
    c.setObservedEndpoint(`127.0.0.1:${c.listenPort}`);
    expect(c.endpoints()).toEqual([`127.0.0.1:${c.listenPort}`, `127.0.0.2:${c.listenPort}`]);
  });

  it("asks a STUN server every second until it answers, then every 20 s", async () => {
    const { c, clock } = await conn();
    const server = await stun("127.0.0.2");
    const silent = await udpPeer(); // never answers
    c.setStunServers([`127.0.0.1:${server.port}`, `127.0.0.1:${silent.port}`]);
    c.tick(clock.now());
    await until("both requests", () => server.requests === 1 && silent.got.length === 1);
    await until("the mapping", () => c.endpoints().includes(`127.0.0.2:${c.listenPort}`));
    clock.advance(STUN_RETRY_MS - 1);
    c.tick(clock.now());
    clock.advance(1);
    c.tick(clock.now());
    await until("the retry to the silent server", () => silent.got.length === 2);
    expect(server.requests).toBe(1);
    clock.advance(STUN_REFRESH_MS - STUN_RETRY_MS);
    c.tick(clock.now());
    await until("the refresh", () => server.requests === 2);
  });

  it("on a network change forgets its mappings, tells its owner, and announces new endpoints", async () => {
    let addresses = "eth0=192.0.2.10";
    const { c, clock, seen } = await conn({ localAddresses: () => addresses });
    const server = await stun("127.0.0.2");
    c.setStunServers([`127.0.0.1:${server.port}`]);
    c.tick(clock.now());
    await until("the mapping", () => c.endpoints().includes(`127.0.0.2:${c.listenPort}`));
    c.setObservedEndpoint(`198.51.100.7:${c.listenPort}`);
    clock.advance(NETWORK_CHECK_MS);
    c.tick(clock.now());
    expect(seen.networkChanges).toBe(0);
    expect(seen.endpointChanges).toHaveLength(1); // STUN and the observed address are new
    expect(c.announceEndpoints()).toBe(false);

    addresses = "eth0=203.0.113.5";
    clock.advance(NETWORK_CHECK_MS - 1);
    c.tick(clock.now());
    expect(seen.networkChanges).toBe(0); // checked once a second, not every tick
    clock.advance(1);
    c.tick(clock.now());
    expect(seen.networkChanges).toBe(1);
    expect(c.counters.networkChanges).toBe(1);
    expect(seen.endpointChanges.at(-1)).toEqual([`127.0.0.1:${c.listenPort}`]);
    // ... and asks STUN again at once.
    await until("a new STUN request", () => server.requests === 2);
  });

  it("hands WireGuard datagrams to its owner and keeps STUN for itself", async () => {
    const { c, seen } = await conn();
    const peer = await udpPeer();
    peer.socket.send(Buffer.from([4, 0, 0, 0, 9]), c.listenPort, "127.0.0.1");
    await until("the datagram", () => seen.datagrams.length === 1);
    expect(seen.datagrams[0]).toEqual({
      data: [4, 0, 0, 0, 9],
      from: { host: "127.0.0.1", port: peer.port },
    });
    c.sendUdp({ host: "127.0.0.1", port: peer.port }, new Uint8Array([1, 2, 3]));
    await until("our datagram", () => peer.got.length === 1);
    expect([...peer.got[0]!]).toEqual([1, 2, 3]);
    expect(c.counters).toMatchObject({ udpIn: 1, udpOut: 1 });
  });

  it("drops direct UDP both ways while the fault switch is on, and only when fault injection is allowed", async () => {
    const plain = await conn();
    expect(() => plain.c.setUdpBlocked(true)).toThrow("fault injection is disabled");

    const { c, seen } = await conn({ allowFaultInjection: true });
    const peer = await udpPeer();
    c.setUdpBlocked(true);
    c.sendUdp({ host: "127.0.0.1", port: peer.port }, new Uint8Array([1]));
    peer.socket.send(Buffer.from([4, 0, 0, 0]), c.listenPort, "127.0.0.1");
    await until("the inbound drop", () => c.counters.udpDroppedFault === 2);
    expect(seen.datagrams).toHaveLength(0);
    c.setUdpBlocked(false);
    c.sendUdp({ host: "127.0.0.1", port: peer.port }, new Uint8Array([2]));
    await until("the datagram after unblocking", () => peer.got.length === 1);
    expect([...peer.got[0]!]).toEqual([2]);
  });

  it("reports no relay for a peer it has none for", async () => {
    const { c } = await conn();
    expect(c.relayState("hub")).toBe("off");
    expect(c.sendRelay("hub", new Uint8Array([1]))).toBe(false);
    expect(c.counters.relayDatagramsOut).toBe(0);
  });
});
