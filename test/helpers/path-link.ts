/**
 * Two agents' path layers joined in memory: each side's Engine and
 * PeerEndpoint for the other, wired as the daemon wires them, over a link
 * with a direct path and a relay that a test can cut, restore, open and close.
 * Datagrams wait in a queue until flush(), so nothing re-enters a core in the
 * middle of an action list. Time comes from one FakeClock.
 */
import { Engine } from "../../agent/engine/engine.ts";
import type { RelayHandlers } from "../../agent/paths/conn.ts";
import {
  type EndpointCounters,
  glareWaitApplies,
  type PathTransport,
  type PathVia,
  PeerEndpoint,
  RELAY_ENDPOINT,
  receivePathControl,
  replyOnArrival,
} from "../../agent/paths/peer-endpoint.ts";
import type { RelayMode } from "../../agent/settings/agent-settings.ts";
import { createLogger } from "../../agent/util/logger.ts";
import type { Endpoint } from "../../agent/wireguard/actions.ts";
import { generatePrivateKey, keyToBase64, publicKeyFrom } from "../../agent/wireguard/index.ts";
import type { FakeClock } from "./fake-clock.ts";

export interface LinkSide {
  name: string;
  address: Endpoint;
  meshIp: number;
  publicKey: string;
  engine: Engine<PathVia>;
  endpoint: PeerEndpoint;
  counters: EndpointCounters;
  settings: { relayMode: RelayMode; persistentKeepaliveSeconds: number };
  /** Datagrams this side put on each path. */
  sent: { udp: number; relay: number; udpInitiations: number; relayInitiations: number; udpTo: Set<string> };
  paths: ("direct" | "relay" | "none")[];
  relayHandlers: RelayHandlers | null;
  relayState: "connecting" | "open" | "closed" | "off";
}

export class PathLink {
  directUp = true;
  private readonly queue: (() => void)[] = [];
  readonly a: LinkSide;
  readonly b: LinkSide;

  constructor(
    private readonly clock: FakeClock,
    opts: { relayMode?: RelayMode; keepalive?: number } = {},
  ) {
    const keys = [generatePrivateKey(), generatePrivateKey()].sort((x, y) =>
      keyToBase64(publicKeyFrom(x)) < keyToBase64(publicKeyFrom(y)) ? -1 : 1,
    );
    // a has the smaller public key, so b is the side that waits out a glare.
    this.a = this.side("a", keys[0]!, { host: "192.0.2.1", port: 1001 }, 0x64400001, opts);
    this.b = this.side("b", keys[1]!, { host: "192.0.2.2", port: 1002 }, 0x64400002, opts);
    this.connect(this.a, this.b);
    this.connect(this.b, this.a);
  }

  other(s: LinkSide): LinkSide {
    return s === this.a ? this.b : this.a;
  }

  /** Delivers everything in flight, including what the deliveries send back. */
  flush(): void {
    for (let i = 0; i < 10_000 && this.queue.length > 0; i++) this.queue.shift()!();
  }

  /** Advances time in engine ticks, delivering in between. */
  run(ms: number, tickMs = 50): void {
    for (let t = 0; t < ms; t += tickMs) {
      this.clock.advance(tickMs);
      this.a.engine.tick();
      this.b.engine.tick();
      this.flush();
    }
  }

  openRelay(s: LinkSide): void {
    s.relayState = "open";
    s.relayHandlers?.onOpen();
  }

  closeRelay(s: LinkSide): void {
    s.relayState = "closed";
    s.relayHandlers?.onClosed();
  }

  private side(
    name: string,
    privateKey: Uint8Array,
    address: Endpoint,
    meshIp: number,
    opts: { relayMode?: RelayMode; keepalive?: number },
  ): LinkSide {
    const log = createLogger("error", () => {});
    const side = {
      name,
      address,
      meshIp,
      publicKey: keyToBase64(publicKeyFrom(privateKey)),
      counters: {
        probesSent: 0,
        probeReplies: 0,
        callMeMaybeSent: 0,
        callMeMaybeReceived: 0,
        initiationsResentOnRelay: 0,
      },
      settings: { relayMode: opts.relayMode ?? "auto", persistentKeepaliveSeconds: opts.keepalive ?? 0 },
      sent: { udp: 0, relay: 0, udpInitiations: 0, relayInitiations: 0, udpTo: new Set<string>() },
      paths: [],
      relayHandlers: null,
      relayState: "off",
    } as unknown as LinkSide;
    side.engine = new Engine<PathVia>({
      privateKey,
      address: meshIp,
      mtu: 1420,
      clock: this.clock,
      log,
      transmit: (a, via) => {
        if (via && "arrival" in via)
          replyOnArrival(this.transport(side), a.peer, a.endpoint, a.data, via.arrival);
        else side.endpoint.transmit(a.data, via);
      },
      intercept: (_peer, packet, via) => receivePathControl(side.endpoint, meshIp, packet, via),
      onEvent: (a, via) => {
        if (a.type === "handshake-complete")
          side.endpoint.handshakeComplete(a.role, via && "arrival" in via ? via.arrival : null);
      },
      onStackSend: (_peer, now) => side.endpoint.paths.onSend(now),
      onTick: (now) => side.endpoint.tick(now),
    });
    return side;
  }

  private connect(s: LinkSide, peer: LinkSide): void {
    const engine = s.engine;
    s.endpoint = new PeerEndpoint({
      name: peer.name,
      selfIp: s.meshIp,
      peerIp: peer.meshIp,
      glareWait: glareWaitApplies(s.publicKey, peer.publicKey, false),
      idleFollower: s.publicKey > peer.publicKey,
      clock: this.clock,
      log: createLogger("error", () => {}),
      transport: this.transport(s),
      core: {
        sendInside: (p, packet, via) => engine.sendInside(p, packet, via),
        session: (p) => engine.device.peerStats(p),
        setPersistentKeepalive: (p, sec) => engine.device.updatePeer(p, { persistentKeepaliveSeconds: sec }),
        relayInput: (p, data) => engine.input(data, RELAY_ENDPOINT, { arrival: { path: "relay", peer: p } }),
      },
      settings: () => s.settings,
      counters: s.counters,
      onPathChanged: (path) => s.paths.push(path),
    });
    s.endpoint.setCandidates([`${peer.address.host}:${peer.address.port}`]);
    engine.device.addPeer({
      name: peer.name,
      publicKey: publicKeyFromBase64(peer.publicKey),
      endpoint: peer.address,
      allowedIps: [`${ipText(peer.meshIp)}/32`],
      persistentKeepaliveSeconds: 0,
    });
    s.endpoint.restartRelay();
  }

  private transport(s: LinkSide): PathTransport {
    const isInit = (d: Uint8Array) => d[0] === 1;
    return {
      sendUdp: (e, data) => {
        s.sent.udp++;
        s.sent.udpTo.add(`${e.host}:${e.port}`);
        if (isInit(data)) s.sent.udpInitiations++;
        const peer = this.other(s);
        if (!this.directUp || e.host !== peer.address.host || e.port !== peer.address.port) return;
        const copy = data.slice();
        this.queue.push(() =>
          peer.engine.input(copy, s.address, { arrival: { path: "direct", from: s.address } }),
        );
      },
      sendRelay: (_p, data) => {
        const peer = this.other(s);
        if (s.relayState !== "open") return false;
        s.sent.relay++;
        if (isInit(data)) s.sent.relayInitiations++;
        const copy = data.slice();
        // The relay pairs the two sides: it delivers only while the far side's relay is open too.
        if (peer.relayState === "open") this.queue.push(() => peer.relayHandlers?.onDatagram(copy));
        return true;
      },
      openRelay: (_p, handlers) => {
        s.relayHandlers = handlers;
        s.relayState = "connecting";
      },
      closeRelay: () => {
        s.relayHandlers = null;
        s.relayState = "off";
      },
      relayState: () => s.relayState,
      endpoints: () => [`${s.address.host}:${s.address.port}`],
    };
  }
}

function ipText(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
}

function publicKeyFromBase64(b64: string): Uint8Array {
  return Uint8Array.from(Buffer.from(b64, "base64"));
}
