/**
 * A sans-I/O IPv4 endpoint with one address: packets come in through input(),
 * go out through the `send` callback, and time only moves when the caller says so.
 *
 * Transport protocols plug in with registerProtocol() so that TCP (and anything
 * else) can be added without touching the IP layer. ICMP is always present
 * because IP needs it to report errors (RFC 1122 3.2.2).
 */

import { onesComplementSum } from "./checksum.ts";
import { Icmp } from "./icmp.ts";
import {
  IPV4_MIN_HEADER,
  type Ipv4Header,
  ipFromString,
  isFragment,
  PROTO_ICMP,
  parseIpv4,
  writeIpv4Header,
} from "./ipv4.ts";

export interface ProtocolHandler {
  /**
   * One inbound datagram for this protocol, already addressed to us and not a fragment.
   * `payload` is the transport segment (IP header stripped, trimmed to the IP total length);
   * `packet` is the whole IP packet, for handlers that must quote it in an ICMP error.
   * Both are views into the caller's buffer: copy what must outlive the call,
   * unless `owned` says the buffer was handed over (NetStack.input).
   */
  input(h: Ipv4Header, payload: Uint8Array, now: number, packet: Uint8Array, owned: boolean): void;
  /** Called from NetStack.tick(), for retransmission and other timers. */
  tick?(now: number): void;
}

export interface NetStackOptions {
  /** Our tunnel address, as a uint32 or dotted quad. */
  address: number | string;
  /** Largest IP packet we emit; defaults to WireGuard's usual 1420. */
  mtu?: number;
  /** Hands one outbound IPv4 packet to the tunnel. The stack does not touch it afterwards. */
  send: (packet: Uint8Array) => void;
}

export interface NetStackCounters {
  received: number;
  delivered: number;
  sent: number;
  droppedMalformed: number;
  droppedBadChecksum: number;
  droppedFragment: number;
  droppedNotForUs: number;
  droppedUnknownProtocol: number;
  /** A handler threw on input or tick; the packet is lost but the stack keeps running. */
  handlerErrors: number;
}

export const DEFAULT_MTU = 1420;

export class NetStack {
  readonly address: number;
  readonly mtu: number;
  readonly icmp: Icmp;
  readonly counters: NetStackCounters = {
    received: 0,
    delivered: 0,
    sent: 0,
    droppedMalformed: 0,
    droppedBadChecksum: 0,
    droppedFragment: 0,
    droppedNotForUs: 0,
    droppedUnknownProtocol: 0,
    handlerErrors: 0,
  };
  /** The last error a handler threw, kept for diagnostics instead of crashing the driver. */
  lastHandlerError: unknown = undefined;

  private readonly sendPacket: (packet: Uint8Array) => void;
  private readonly handlers = new Map<number, ProtocolHandler>();
  private nextId = 1;

  constructor(options: NetStackOptions) {
    this.address =
      typeof options.address === "string" ? ipFromString(options.address) : options.address >>> 0;
    this.mtu = options.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) {
      // 68 is the minimum every IPv4 link must carry (RFC 791).
      throw new RangeError(`invalid MTU: ${options.mtu}`);
    }
    this.sendPacket = options.send;
    this.icmp = new Icmp(this);
    this.registerProtocol(PROTO_ICMP, this.icmp);
  }

  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
      throw new RangeError(`invalid IP protocol number: ${protocol}`);
    }
    if (this.handlers.has(protocol)) throw new Error(`IP protocol ${protocol} already has a handler`);
    this.handlers.set(protocol, handler);
  }

  /**
   * One inbound IPv4 packet from the tunnel. Never throws: bad input is counted and dropped.
   * `owned`: the caller gives the buffer away (WireGuard's freshly decrypted packets), so
   * handlers may keep views into it instead of copying (TCP's in-order data).
   */
  input(packet: Uint8Array, now: number, owned = false): void {
    this.counters.received++;
    const h = parseIpv4(packet);
    if (!h) {
      if (hasOnlyBadChecksum(packet)) this.counters.droppedBadChecksum++;
      else this.counters.droppedMalformed++;
      return;
    }
    if (h.dst !== this.address) {
      this.counters.droppedNotForUs++;
      return;
    }
    // We never reassemble: the tunnel MTU is known to both sides and DF is the norm.
    if (isFragment(h)) {
      this.counters.droppedFragment++;
      return;
    }
    const trimmed = packet.length === h.totalLength ? packet : packet.subarray(0, h.totalLength);
    const handler = this.handlers.get(h.protocol);
    if (!handler) {
      this.counters.droppedUnknownProtocol++;
      this.icmp.sendProtocolUnreachable(trimmed, now);
      return;
    }
    this.counters.delivered++;
    try {
      handler.input(h, trimmed.subarray(h.headerLength), now, trimmed, owned);
    } catch (err) {
      this.counters.handlerErrors++;
      this.lastHandlerError = err;
    }
  }

  tick(now: number): void {
    for (const handler of this.handlers.values()) {
      if (!handler.tick) continue;
      try {
        handler.tick(now);
      } catch (err) {
        this.counters.handlerErrors++;
        this.lastHandlerError = err;
      }
    }
  }

  /** Largest transport payload that fits one packet. */
  get maxPayload(): number {
    return this.mtu - IPV4_MIN_HEADER;
  }

  /**
   * Builds and sends one packet from our address. `write` fills the transport payload in
   * place (at `offset` in `buf`), so segments are assembled without an extra copy.
   */
  outputWith(
    protocol: number,
    dst: number,
    payloadLength: number,
    write: (buf: Uint8Array, offset: number) => void,
  ): void {
    if (payloadLength > this.maxPayload) {
      throw new RangeError(`payload of ${payloadLength} bytes exceeds the MTU of ${this.mtu}`);
    }
    const packet = new Uint8Array(IPV4_MIN_HEADER + payloadLength);
    writeIpv4Header(packet, 0, { src: this.address, dst, protocol, payloadLength, id: this.takeId() });
    write(packet, IPV4_MIN_HEADER);
    this.counters.sent++;
    this.sendPacket(packet);
  }

  /**
   * Sends a packet a protocol built whole (header included), e.g. TCP segments that
   * carry their own IPv4 header. The caller is responsible for its validity.
   */
  transmit(packet: Uint8Array): void {
    if (packet.length > this.mtu) {
      throw new RangeError(`packet of ${packet.length} bytes exceeds the MTU of ${this.mtu}`);
    }
    this.counters.sent++;
    this.sendPacket(packet);
  }

  /** Sends `payload` (copied) as one packet from our address. */
  output(protocol: number, dst: number, payload: Uint8Array): void {
    this.outputWith(protocol, dst, payload.length, (buf, offset) => buf.set(payload, offset));
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    return id;
  }
}

/** Distinguishes "corrupted header" from "not IPv4 at all" so the counters say which it was. */
function hasOnlyBadChecksum(packet: Uint8Array): boolean {
  if (packet.length < IPV4_MIN_HEADER || packet[0]! >> 4 !== 4) return false;
  const headerLength = (packet[0]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER || headerLength > packet.length) return false;
  const totalLength = (packet[2]! << 8) | packet[3]!;
  if (totalLength < headerLength || totalLength > packet.length) return false;
  return onesComplementSum(packet, 0, headerLength) !== 0xffff;
}
