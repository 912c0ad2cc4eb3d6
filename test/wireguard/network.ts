/**
 * An in-memory datagram network for Devices: send actions are delivered to
 * the device owning the destination endpoint, recursively, with a hop bound.
 * Everything that happens is recorded per device for assertions.
 */
import type { Action, Endpoint, Millis } from "../../agent/wireguard/actions.ts";
import { Device, type DeviceConfig, type PeerConfig } from "../../agent/wireguard/device.ts";
import { generatePrivateKey } from "../../agent/wireguard/keys.ts";
import type { PeerState } from "../../agent/wireguard/peer.ts";

export interface Node {
  name: string;
  device: Device;
  endpoint: Endpoint;
  /** Every action this node's device returned, in order. */
  log: Action[];
  delivered: Uint8Array[];
}

export class Network {
  readonly nodes = new Map<string, Node>();
  /** When set, datagrams for which it returns false vanish (a cut link). */
  filter: ((from: Endpoint, to: Endpoint, data: Uint8Array) => boolean) | null = null;
  /** Every datagram put on the wire, for tests that replay or mutate them. */
  readonly wire: { from: Endpoint; to: Endpoint; data: Uint8Array }[] = [];

  add(name: string, port: number, config: Partial<DeviceConfig> = {}): Node {
    const device = new Device({ privateKey: generatePrivateKey(), ...config });
    const node: Node = { name, device, endpoint: { host: "127.0.0.1", port }, log: [], delivered: [] };
    this.nodes.set(`${node.endpoint.host}:${port}`, node);
    return node;
  }

  /** Processes a node's actions: records them and delivers its sends. */
  run(node: Node, actions: Action[], now: Millis, hops = 0): void {
    if (hops > 64) throw new Error("message storm in test network");
    for (const a of actions) {
      node.log.push(a);
      if (a.type === "deliver") node.delivered.push(a.packet);
      if (a.type !== "send") continue;
      this.wire.push({ from: node.endpoint, to: a.endpoint, data: a.data });
      if (this.filter !== null && !this.filter(node.endpoint, a.endpoint, a.data)) continue;
      const target = this.nodes.get(`${a.endpoint.host}:${a.endpoint.port}`);
      if (target === undefined) continue;
      this.run(target, target.device.decapsulate(a.data, node.endpoint, now), now, hops + 1);
    }
  }

  tick(now: Millis): void {
    for (const n of this.nodes.values()) this.run(n, n.device.updateTimers(now), now);
  }
}

/** Two nodes that know each other: a = 10.0.0.1, b = 10.0.0.2. */
export function pair(
  opts: {
    a?: Partial<DeviceConfig>;
    b?: Partial<DeviceConfig>;
    aPeer?: Partial<PeerConfig>;
    bPeer?: Partial<PeerConfig>;
    bKnowsAEndpoint?: boolean;
  } = {},
) {
  const net = new Network();
  const a = net.add("a", 51001, opts.a);
  const b = net.add("b", 51002, opts.b);
  a.device.addPeer({
    name: "b",
    publicKey: b.device.publicKey,
    endpoint: b.endpoint,
    allowedIps: ["10.0.0.2/32"],
    ...opts.aPeer,
  });
  b.device.addPeer({
    name: "a",
    publicKey: a.device.publicKey,
    allowedIps: ["10.0.0.1/32"],
    ...(opts.bKnowsAEndpoint === true ? { endpoint: a.endpoint } : {}),
    ...opts.bPeer,
  });
  return { net, a, b };
}

/** A minimal IPv4 packet (the core never checks the header checksum). */
export function ipv4Packet(src: string, dst: string, payload: Uint8Array | number = 0): Uint8Array {
  const body = typeof payload === "number" ? new Uint8Array(payload).map((_, i) => i & 0xff) : payload;
  const p = new Uint8Array(20 + body.length);
  p[0] = 0x45;
  p[2] = p.length >>> 8;
  p[3] = p.length & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(src.split(".").map(Number), 12);
  p.set(dst.split(".").map(Number), 16);
  p.set(body, 20);
  return p;
}

export function ofType<T extends Action["type"]>(actions: Action[], type: T): Extract<Action, { type: T }>[] {
  return actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
}

/**
 * A device's internal state for one peer. Only tests use this, to set up states that would take
 * too long to reach by traffic (a send counter near 2^64, say).
 */
export function peerStateOf(device: Device, name: string): PeerState {
  const peer = (device as unknown as { peers: Map<string, PeerState> }).peers.get(name);
  if (peer === undefined) throw new Error(`no peer "${name}"`);
  return peer;
}

/** The 64-bit counter of a transport message, as a BigInt. */
export function transportCounter(data: Uint8Array): bigint {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(8, true);
}
