/**
 * Two real peers on loopback: the whole path (UDP socket, WireGuard core,
 * user-space IPv4/UDP/ICMP) and the control channel, without namespaces.
 */

import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { ipFromString } from "../net/ipv4.ts";
import { generatePrivateKey, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import type { PeerConfig } from "./config.ts";
import { handleControlLine, peerEventToJson } from "./control.ts";
import { type PeerEvent, type RunningPeer, startPeer } from "./udp-peer.ts";

const running: RunningPeer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.close()));
});

function keys() {
  const priv = generatePrivateKey();
  return { privateKey: keyToBase64(priv), publicKey: keyToBase64(publicKeyFrom(priv)) };
}

async function waitFor<T>(what: string, check: () => T | undefined, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pair(opts: { psk?: string } = {}) {
  const a = keys();
  const b = keys();
  const eventsA: PeerEvent[] = [];
  const eventsB: PeerEvent[] = [];
  const peerB = await startPeer(
    {
      privateKey: b.privateKey,
      listenPort: 0,
      address: "100.64.0.2/10",
      mtu: 1420,
      udpListen: [],
      expose: [],
      peers: [
        {
          name: "a",
          publicKey: a.publicKey,
          allowedIps: ["100.64.0.1/32"],
          ...(opts.psk ? { presharedKey: opts.psk } : {}),
        },
      ],
    },
    { onEvent: (e) => eventsB.push(e), bindAddress: "127.0.0.1" },
  );
  running.push(peerB);
  const configA: PeerConfig = {
    privateKey: a.privateKey,
    listenPort: 0,
    address: "100.64.0.1/10",
    mtu: 1420,
    udpListen: [5000],
    expose: [],
    peers: [
      {
        name: "b",
        publicKey: b.publicKey,
        endpoint: { host: "127.0.0.1", port: peerB.listenPort },
        allowedIps: ["100.64.0.2/32"],
        ...(opts.psk ? { presharedKey: opts.psk } : {}),
      },
    ],
  };
  const peerA = await startPeer(configA, { onEvent: (e) => eventsA.push(e), bindAddress: "127.0.0.1" });
  running.push(peerA);
  return { peerA, peerB, eventsA, eventsB, keysA: a };
}

describe("startPeer over loopback", () => {
  it("derives its public key and reports the bound port", async () => {
    const { peerA, keysA } = await pair();
    expect(peerA.publicKey).toBe(keysA.publicKey);
    expect(peerA.listenPort).toBeGreaterThan(0);
  });

  it("handshakes on first packet and the remote UDP echo answers byte-exact, with and without PSK", async () => {
    for (const psk of [undefined, keyToBase64(randomBytes(32))]) {
      const { peerA, eventsA, eventsB } = await pair(psk ? { psk } : {});
      const data = randomBytes(1392);
      peerA.udpSend(5000, ipFromString("100.64.0.2"), 7, data);
      const echoed = await waitFor("echo", () =>
        eventsA.find((e): e is Extract<PeerEvent, { event: "udp" }> => e.event === "udp"),
      );
      expect(echoed.from).toBe("100.64.0.2:7");
      expect(Buffer.from(echoed.data).equals(data)).toBe(true);
      expect(eventsA).toContainEqual({ event: "handshake-complete", peer: "b", role: "initiator" });
      expect(eventsB).toContainEqual({ event: "handshake-complete", peer: "a", role: "responder" });
      const s = peerA.stats();
      expect(s.peers[0]).toMatchObject({ name: "b", hasSession: true });
      expect(s.udp.delivered).toBe(1);
    }
  });

  it("counts random datagrams as drops and keeps working", async () => {
    const { peerA, peerB, eventsA } = await pair();
    const sock = createSocket("udp4");
    try {
      for (let i = 0; i < 200; i++) {
        const d = randomBytes(1 + ((i * 37) % 1500));
        if (i % 3 === 0 && d.length >= 4) d.set([1 + (i % 4), 0, 0, 0]);
        await new Promise<void>((r) => sock.send(d, peerB.listenPort, "127.0.0.1", () => r()));
      }
      const s = await waitFor("all read", () => {
        const st = peerB.stats();
        return st.driver.datagramsIn >= 200 ? st : undefined;
      });
      const drops = Object.values(s.drops).reduce((x, y) => x + (y ?? 0), 0);
      expect(drops).toBeGreaterThanOrEqual(200);
      expect(s.driver.coreErrors).toBe(0);
    } finally {
      sock.close();
    }
    peerA.udpSend(5000, ipFromString("100.64.0.2"), 7, Buffer.from("still alive"));
    await waitFor("echo after garbage", () => eventsA.find((e) => e.event === "udp"));
  });
});

describe("startPeer endpoints", () => {
  it("resolves a host name once and refuses IPv6 endpoints with a clear error", async () => {
    const k = keys();
    const base: PeerConfig = {
      privateKey: k.privateKey,
      listenPort: 0,
      address: "100.64.0.1/10",
      mtu: 1420,
      udpListen: [],
      expose: [],
      peers: [{ name: "b", publicKey: keys().publicKey, allowedIps: ["100.64.0.2/32"] }],
    };
    const named = await startPeer(
      { ...base, peers: [{ ...base.peers[0]!, endpoint: { host: "localhost", port: 51820 } }] },
      { bindAddress: "127.0.0.1" },
    );
    running.push(named);
    expect(named.stats().peers[0]!.endpoint).toBe("127.0.0.1:51820");
    await expect(
      startPeer({ ...base, peers: [{ ...base.peers[0]!, endpoint: { host: "::1", port: 51820 } }] }),
    ).rejects.toThrow("IPv6 endpoint ::1 is not supported yet");
    // A port already in use is reported, not left half-open.
    await expect(
      startPeer({ ...base, listenPort: named.listenPort }, { bindAddress: "127.0.0.1" }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("control channel", () => {
  it("answers every kind of command, and bad input with an error", async () => {
    const { peerA, eventsA } = await pair();
    expect(handleControlLine(peerA, "")).toBeNull();
    expect(handleControlLine(peerA, "{nope")).toEqual({ event: "error", message: "not JSON" });
    expect(handleControlLine(peerA, "[1]")).toEqual({
      event: "error",
      message: "command must be a JSON object",
    });
    expect(handleControlLine(peerA, '{"cmd":"dance"}')).toEqual({
      event: "error",
      message: 'unknown command "dance"',
    });
    expect(handleControlLine(peerA, '{"cmd":"udp-send","srcPort":0,"dst":"100.64.0.2:7"}')).toMatchObject({
      event: "error",
    });
    expect(handleControlLine(peerA, '{"cmd":"udp-send","srcPort":1,"dst":"nowhere"}')).toEqual({
      event: "error",
      message: '"dst" must be "a.b.c.d:port", got "nowhere"',
    });
    expect(
      handleControlLine(peerA, '{"cmd":"udp-send","srcPort":1,"dst":"100.64.0.2:7","dataHex":"abc"}'),
    ).toEqual({
      event: "error",
      message: '"dataHex" must be an even-length hex string',
    });
    expect(handleControlLine(peerA, '{"cmd":"handshake","peer":"nobody"}')).toMatchObject({ event: "error" });
    expect(handleControlLine(peerA, '{"cmd":"quit"}')).toBe("quit");

    expect(handleControlLine(peerA, '{"cmd":"handshake"}')).toEqual({ event: "ok", cmd: "handshake" });
    await waitFor("handshake", () => eventsA.find((e) => e.event === "handshake-complete"));
    expect(
      handleControlLine(peerA, '{"cmd":"udp-send","srcPort":5000,"dst":"100.64.0.2:7","dataHex":"c0ffee"}'),
    ).toEqual({ event: "ok", cmd: "udp-send" });
    const udp = await waitFor("echo", () => eventsA.find((e) => e.event === "udp"));
    expect(peerEventToJson(udp)).toEqual({
      event: "udp",
      port: 5000,
      from: "100.64.0.2:7",
      dataHex: "c0ffee",
    });

    const stats = handleControlLine(peerA, '{"cmd":"stats"}');
    expect(stats).toMatchObject({ event: "stats", address: "100.64.0.1/10", listenPort: peerA.listenPort });
  });
});
