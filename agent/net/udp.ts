/**
 * UDP (RFC 768) on top of NetStack: bind ports, receive datagrams, send them.
 * Checksums are verified when present and always generated, as RFC 1122 asks.
 */
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "./checksum.ts";
import { type Ipv4Header, PROTO_UDP } from "./ipv4.ts";
import type { NetStack, ProtocolHandler } from "./stack.ts";

export const UDP_HEADER = 8;

export type DatagramListener = (srcIp: number, srcPort: number, data: Uint8Array) => void;

export interface UdpCounters {
  received: number;
  delivered: number;
  sent: number;
  droppedMalformed: number;
  droppedBadChecksum: number;
  droppedNoListener: number;
  /** A listener threw; counted so one bad callback cannot take the stack down. */
  listenerErrors: number;
}

export class Udp implements ProtocolHandler {
  readonly counters: UdpCounters = {
    received: 0,
    delivered: 0,
    sent: 0,
    droppedMalformed: 0,
    droppedBadChecksum: 0,
    droppedNoListener: 0,
    listenerErrors: 0,
  };
  private readonly listeners = new Map<number, DatagramListener>();

  /** Creates the UDP layer and registers it with the stack as protocol 17. */
  constructor(private readonly stack: NetStack) {
    stack.registerProtocol(PROTO_UDP, this);
  }

  /** Largest payload sendTo() accepts: one packet, never fragmented. */
  get maxDatagram(): number {
    return this.stack.maxPayload - UDP_HEADER;
  }

  /** Listens on `port`; returns a function that unbinds. */
  bind(port: number, onDatagram: DatagramListener): () => void {
    checkPort(port);
    if (this.listeners.has(port)) throw new Error(`UDP port ${port} is already bound`);
    this.listeners.set(port, onDatagram);
    return () => {
      if (this.listeners.get(port) === onDatagram) this.listeners.delete(port);
    };
  }

  isBound(port: number): boolean {
    return this.listeners.has(port);
  }

  sendTo(srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): void {
    checkPort(srcPort);
    checkPort(dstPort);
    if (data.length > this.maxDatagram) {
      throw new RangeError(`UDP payload of ${data.length} bytes exceeds the maximum of ${this.maxDatagram}`);
    }
    const length = UDP_HEADER + data.length;
    const src = this.stack.address;
    dstIp >>>= 0;
    this.stack.outputWith(PROTO_UDP, dstIp, length, (buf, o) => {
      buf[o] = srcPort >>> 8;
      buf[o + 1] = srcPort & 0xff;
      buf[o + 2] = dstPort >>> 8;
      buf[o + 3] = dstPort & 0xff;
      buf[o + 4] = length >>> 8;
      buf[o + 5] = length & 0xff;
      buf[o + 6] = 0;
      buf[o + 7] = 0;
      buf.set(data, o + UDP_HEADER);
      let sum = finishChecksum(
        onesComplementSum(buf, o, o + length, pseudoHeaderSum(src, dstIp, PROTO_UDP, length)),
      );
      // Zero on the wire means "no checksum", so a computed zero is sent as its other form.
      if (sum === 0) sum = 0xffff;
      buf[o + 6] = sum >>> 8;
      buf[o + 7] = sum & 0xff;
    });
    this.counters.sent++;
  }

  input(h: Ipv4Header, payload: Uint8Array, now: number, packet: Uint8Array): void {
    this.counters.received++;
    if (payload.length < UDP_HEADER) {
      this.counters.droppedMalformed++;
      return;
    }
    const length = (payload[4]! << 8) | payload[5]!;
    if (length < UDP_HEADER || length > payload.length) {
      this.counters.droppedMalformed++;
      return;
    }
    const checksum = (payload[6]! << 8) | payload[7]!;
    if (
      checksum !== 0 &&
      onesComplementSum(payload, 0, length, pseudoHeaderSum(h.src, h.dst, PROTO_UDP, length)) !== 0xffff
    ) {
      this.counters.droppedBadChecksum++;
      return;
    }
    const dstPort = (payload[2]! << 8) | payload[3]!;
    const listener = this.listeners.get(dstPort);
    if (!listener) {
      this.counters.droppedNoListener++;
      this.stack.icmp.sendPortUnreachable(packet, now);
      return;
    }
    const srcPort = (payload[0]! << 8) | payload[1]!;
    this.counters.delivered++;
    try {
      // A copy, so listeners may keep the data after the tunnel reuses its buffer.
      listener(h.src, srcPort, payload.slice(UDP_HEADER, length));
    } catch {
      this.counters.listenerErrors++;
    }
  }
}

/** Answers every datagram on `port` with the same bytes, back to the sender. Returns the unbind function. */
export function udpEcho(udp: Udp, port = 7): () => void {
  return udp.bind(port, (srcIp, srcPort, data) => {
    udp.sendTo(port, srcIp, srcPort, data);
  });
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid UDP port: ${port}`);
}
