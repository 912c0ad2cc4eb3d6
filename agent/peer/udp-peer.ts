/**
 * The runnable peer: the engine (the same one the daemon runs) on one UDP
 * socket, configured from a static PeerConfig, with no platform, relay or path
 * choice: every datagram goes to the endpoint the core names.
 */
import type { RemoteInfo } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Engine } from "../engine/engine.ts";
import { ipToString, parseInterfaceAddress } from "../net/ipv4.ts";
import type { NetStack } from "../net/stack.ts";
import type { Udp } from "../net/udp.ts";
import { bindUdpSocket } from "../transport/udp-socket.ts";
import { monotonicClock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { DropReason, Endpoint } from "../wireguard/actions.ts";
import { type Device, keyFromBase64, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import type { PeerConfig } from "./config.ts";

export type PeerEvent =
  | { event: "handshake-complete"; peer: string; role: "initiator" | "responder" }
  | { event: "endpoint-changed"; peer: string; endpoint: string }
  | { event: "session-expired"; peer: string }
  | { event: "udp"; port: number; from: string; data: Uint8Array }
  | { event: "error"; message: string };

export interface PeerStatsSnapshot {
  publicKey: string;
  listenPort: number;
  address: string;
  peers: {
    name: string;
    publicKey: string;
    endpoint: string | null;
    hasSession: boolean;
    lastHandshakeAt: number | null;
    rxBytes: number;
    txBytes: number;
  }[];
  drops: Partial<Record<DropReason, number>>;
  stack: Record<string, number>;
  icmp: Record<string, number>;
  udp: Record<string, number>;
  tcp: Record<string, number>;
  /** Datagrams read from the socket, and driver-level failures (send errors, thrown core errors). */
  driver: { datagramsIn: number; datagramsOut: number; sendErrors: number; coreErrors: number };
}

export interface RunningPeer {
  readonly listenPort: number;
  readonly publicKey: string;
  readonly device: Device;
  readonly stack: NetStack;
  readonly udp: Udp;
  /** Starts a handshake with a peer now (the first one by default). */
  handshake(peerName?: string): void;
  /** Sends one datagram into the tunnel from our tunnel address. */
  udpSend(srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): void;
  stats(): PeerStatsSnapshot;
  close(): Promise<void>;
}

export interface StartPeerOptions {
  onEvent?: (e: PeerEvent) => void;
  /** Address the UDP socket binds; all interfaces by default. */
  bindAddress?: string;
}

/**
 * Names are resolved once, up front: the core compares endpoints by value to detect
 * roaming, and a per-send DNS lookup would be slow and could flap between addresses.
 */
async function resolveEndpoint(e: Endpoint): Promise<Endpoint> {
  const family = isIP(e.host);
  if (family === 4) return e;
  if (family === 6)
    throw new Error(`IPv6 endpoint ${e.host} is not supported yet (the peer's socket is IPv4)`);
  const { address } = await lookup(e.host, { family: 4 });
  return { host: address, port: e.port };
}

/** The expose service logs through the peer's event channel: warnings become "error" events. */
function peerLogger(emit: (e: PeerEvent) => void): Logger {
  const quiet = () => {};
  return {
    level: "warn",
    debug: quiet,
    info: quiet,
    warn: (msg, fields) => emit({ event: "error", message: `${msg} ${JSON.stringify(fields ?? {})}` }),
    error: (msg, fields) => emit({ event: "error", message: `${msg} ${JSON.stringify(fields ?? {})}` }),
  };
}

function endpointToString(e: Endpoint): string {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

export async function startPeer(config: PeerConfig, options: StartPeerOptions = {}): Promise<RunningPeer> {
  const emit = options.onEvent ?? (() => {});
  const privateKey = keyFromBase64(config.privateKey);
  const publicKey = keyToBase64(publicKeyFrom(privateKey));
  const driver = { datagramsIn: 0, datagramsOut: 0, sendErrors: 0 };
  const onSendDone = (err: Error | null) => {
    if (err) driver.sendErrors++;
  };
  const socket = await bindUdpSocket(config.listenPort, options.bindAddress);
  const { address } = parseInterfaceAddress(config.address);
  // The core's timers want a clock that never steps; its TAI64N timestamps use the wall clock separately.
  const engine = new Engine<null>({
    privateKey,
    address,
    mtu: config.mtu,
    clock: monotonicClock,
    log: peerLogger(emit),
    transmit: (a) => {
      driver.datagramsOut++;
      socket.send(a.data, a.endpoint.port, a.endpoint.host, onSendDone);
    },
    onEvent: (a) => {
      if (a.type === "handshake-complete") emit({ event: "handshake-complete", peer: a.peer, role: a.role });
      else if (a.type === "endpoint-changed")
        emit({ event: "endpoint-changed", peer: a.peer, endpoint: endpointToString(a.endpoint) });
      else if (a.type === "session-expired") emit({ event: "session-expired", peer: a.peer });
      // Drops: the core already counts them per reason in device.drops.
    },
  });
  const { device, stack, udp, tcp, expose } = engine;
  for (const p of config.peers) {
    const endpoint = p.endpoint ? await resolveEndpoint(p.endpoint) : undefined;
    device.addPeer({
      name: p.name,
      publicKey: keyFromBase64(p.publicKey),
      ...(p.presharedKey ? { presharedKey: keyFromBase64(p.presharedKey) } : {}),
      ...(endpoint ? { endpoint } : {}),
      allowedIps: p.allowedIps,
      ...(p.persistentKeepaliveSeconds ? { persistentKeepaliveSeconds: p.persistentKeepaliveSeconds } : {}),
    });
  }
  expose.apply(config.expose);
  for (const port of config.udpListen) {
    udp.bind(port, (srcIp, srcPort, data) =>
      emit({ event: "udp", port, from: `${ipToString(srcIp)}:${srcPort}`, data }),
    );
  }

  socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
    driver.datagramsIn++;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    engine.input(data, { host: rinfo.address, port: rinfo.port }, null);
  });
  socket.on("error", (err) => emit({ event: "error", message: `udp socket: ${err.message}` }));
  const listenPort = socket.address().port;
  engine.start();

  let closed = false;
  return {
    listenPort,
    publicKey,
    device,
    stack,
    udp,
    handshake(peerName) {
      const name = peerName ?? config.peers[0]?.name;
      if (name === undefined) throw new Error("no peer configured");
      if (!config.peers.some((p) => p.name === name)) throw new Error(`unknown peer "${name}"`);
      engine.initiateHandshake(name);
    },
    udpSend(srcPort, dstIp, dstPort, data) {
      udp.sendTo(srcPort, dstIp, dstPort, data);
    },
    stats() {
      const drops: Partial<Record<DropReason, number>> = {};
      for (const [reason, count] of device.drops) drops[reason] = count;
      return {
        publicKey,
        listenPort,
        address: config.address,
        peers: config.peers.map((p) => {
          const s = device.peerStats(p.name);
          return {
            name: p.name,
            publicKey: p.publicKey,
            endpoint: s.endpoint ? endpointToString(s.endpoint) : null,
            hasSession: s.hasSession,
            lastHandshakeAt: s.lastHandshakeAt ?? null,
            rxBytes: s.rxBytes,
            txBytes: s.txBytes,
          };
        }),
        drops,
        stack: { ...stack.counters },
        icmp: { ...stack.icmp.counters },
        udp: { ...udp.counters },
        tcp: { ...tcp.tcp.stats, connections: tcp.tcp.connectionCount, ...expose.counters },
        driver: { ...driver, coreErrors: engine.coreErrors },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      engine.stop();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
