/**
 * The WireGuard core bound to one UDP socket, with the user-space IPv4 stack on
 * the inside. This is the glue the agent reuses: the core stays sans-I/O, and
 * everything that touches a socket or a timer lives here.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Logger } from "../daemon/logger.ts";
import { ipToString, parseInterfaceAddress } from "../net/ipv4.ts";
import { NetStack } from "../net/stack.ts";
import { Udp, udpEcho } from "../net/udp.ts";
import { ExposeService } from "../tunnel/expose.ts";
import { TcpDriver } from "../tunnel/tcp-driver.ts";
import type { Action, DropReason, Endpoint } from "../wireguard/actions.ts";
import { Device, keyFromBase64, keyToBase64, publicKeyFrom } from "../wireguard/index.ts";
import type { PeerConfig } from "./config.ts";

export const TIMER_INTERVAL_MS = 100;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

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
  // The core's timers want a clock that never steps; its TAI64N timestamps use the wall clock separately.
  const now = () => performance.now();

  const device = new Device({ privateKey });
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

  const driver = { datagramsIn: 0, datagramsOut: 0, sendErrors: 0, coreErrors: 0 };
  const socket: Socket = createSocket({
    type: "udp4",
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
  });

  const onSendDone = (err: Error | null) => {
    if (err) driver.sendErrors++;
  };

  const perform = (actions: readonly Action[]) => {
    for (const a of actions) {
      switch (a.type) {
        case "send":
          driver.datagramsOut++;
          socket.send(a.data, a.endpoint.port, a.endpoint.host, onSendDone);
          break;
        case "deliver":
          stack.input(a.packet, now(), true);
          break;
        case "handshake-complete":
          emit({ event: "handshake-complete", peer: a.peer, role: a.role });
          break;
        case "endpoint-changed":
          emit({ event: "endpoint-changed", peer: a.peer, endpoint: endpointToString(a.endpoint) });
          break;
        case "session-expired":
          emit({ event: "session-expired", peer: a.peer });
          break;
        case "drop":
          // The core already counts drops per reason in device.drops.
          break;
      }
    }
  };

  /** Runs one core entry point; a throw is a core bug, counted rather than allowed to kill the process. */
  const guarded = (fn: () => readonly Action[]) => {
    let actions: readonly Action[];
    try {
      actions = fn();
    } catch (err) {
      driver.coreErrors++;
      emit({ event: "error", message: `wireguard core: ${(err as Error).message}` });
      return;
    }
    perform(actions);
  };

  const { address } = parseInterfaceAddress(config.address);
  const stack: NetStack = new NetStack({
    address,
    mtu: config.mtu,
    send: (packet) => guarded(() => device.encapsulate(packet, now())),
  });
  const udp = new Udp(stack);
  udpEcho(udp, 7);
  // TCP rides the same clock as everything else here (performance.now), see TcpDriver.
  const tcp = new TcpDriver(stack, config.mtu - 40, now);
  const expose = new ExposeService(tcp, peerLogger(emit));
  expose.apply(config.expose);
  for (const port of config.udpListen) {
    udp.bind(port, (srcIp, srcPort, data) =>
      emit({ event: "udp", port, from: `${ipToString(srcIp)}:${srcPort}`, data }),
    );
  }

  socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
    driver.datagramsIn++;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    guarded(() => device.decapsulate(data, { host: rinfo.address, port: rinfo.port }, now()));
  });
  socket.on("error", (err) => emit({ event: "error", message: `udp socket: ${err.message}` }));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once("error", onError);
    socket.bind(
      { port: config.listenPort, ...(options.bindAddress ? { address: options.bindAddress } : {}) },
      () => {
        socket.off("error", onError);
        resolve();
      },
    );
  });
  const listenPort = socket.address().port;

  const timer = setInterval(() => {
    const t = now();
    guarded(() => device.updateTimers(t));
    stack.tick(t);
  }, TIMER_INTERVAL_MS);

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
      guarded(() => device.initiateHandshake(name, now()));
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
        driver: { ...driver },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      expose.stop();
      tcp.stop();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
