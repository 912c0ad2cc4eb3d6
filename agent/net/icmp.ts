/**
 * ICMP for an endpoint (RFC 792): answer echo requests, report unreachable
 * ports and protocols, and send echo requests of our own (`tether agent ping`)
 * whose replies go to whoever listens on their identifier. Inbound errors are
 * only counted.
 */
import { finishChecksum, onesComplementSum } from "./checksum.ts";
import { type Ipv4Header, PROTO_ICMP } from "./ipv4.ts";

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const UNREACHABLE_PROTOCOL = 2;
export const UNREACHABLE_PORT = 3;

const ICMP_HEADER = 8;
/** Errors we emit per second and in one burst; RFC 1812 4.3.2.8 asks for a limit so floods do not echo. */
export const ICMP_ERRORS_PER_SECOND = 100;
export const ICMP_ERROR_BURST = 50;

export interface IcmpCounters {
  echoRequests: number;
  echoReplies: number;
  unreachableSent: number;
  unreachableRateLimited: number;
  received: number;
  droppedMalformed: number;
  droppedBadChecksum: number;
  droppedTooBig: number;
  /** Echo requests we originated (pings), and the replies that came back to a listener. */
  echoRequestsSent: number;
  echoRepliesReceived: number;
  /** Messages we understand but do not act on (unclaimed replies, errors, timestamps...). */
  ignored: number;
}

/**
 * The part of the IP stack ICMP sends through. Declared here rather than
 * importing NetStack, because NetStack creates the Icmp: an import back would
 * be a cycle. NetStack satisfies it as it is, and registers Icmp as its ICMP
 * protocol handler (the shape is checked there).
 */
export interface IcmpOutput {
  readonly mtu: number;
  readonly maxPayload: number;
  outputWith(
    protocol: number,
    dst: number,
    payloadLength: number,
    write: (buf: Uint8Array, offset: number) => void,
  ): void;
}

/** Called with each echo reply whose identifier a pinger claimed; `data` is a copy. */
export type EchoReplyListener = (src: number, sequence: number, data: Uint8Array, now: number) => void;

export class Icmp {
  readonly counters: IcmpCounters = {
    echoRequests: 0,
    echoReplies: 0,
    unreachableSent: 0,
    unreachableRateLimited: 0,
    received: 0,
    droppedMalformed: 0,
    droppedBadChecksum: 0,
    droppedTooBig: 0,
    echoRequestsSent: 0,
    echoRepliesReceived: 0,
    ignored: 0,
  };
  private readonly echoListeners = new Map<number, EchoReplyListener>();

  private errorTokens = ICMP_ERROR_BURST;
  private tokensAt: number | null = null;

  constructor(private readonly stack: IcmpOutput) {}

  input(h: Ipv4Header, payload: Uint8Array, now: number): void {
    this.counters.received++;
    if (payload.length < ICMP_HEADER) {
      this.counters.droppedMalformed++;
      return;
    }
    if (onesComplementSum(payload, 0, payload.length) !== 0xffff) {
      this.counters.droppedBadChecksum++;
      return;
    }
    if (payload[0] === ICMP_ECHO_REPLY && payload[1] === 0) {
      this.echoReply(h, payload, now);
      return;
    }
    if (payload[0] !== ICMP_ECHO_REQUEST || payload[1] !== 0) {
      this.counters.ignored++;
      return;
    }
    this.counters.echoRequests++;
    if (payload.length > this.stack.maxPayload) {
      this.counters.droppedTooBig++;
      return;
    }
    // The reply is the request with the type changed: identifier, sequence and data stay byte-exact.
    this.stack.outputWith(PROTO_ICMP, h.src, payload.length, (buf, offset) => {
      buf.set(payload, offset);
      buf[offset] = ICMP_ECHO_REPLY;
      buf[offset + 2] = 0;
      buf[offset + 3] = 0;
      setChecksum(buf, offset, offset + payload.length);
    });
    this.counters.echoReplies++;
  }

  /**
   * Claims echo replies carrying `identifier` (16 bits). Returns the function that
   * releases it. One listener per identifier, so concurrent pings never see each other's replies.
   */
  onEchoReply(identifier: number, listener: EchoReplyListener): () => void {
    if (!Number.isInteger(identifier) || identifier < 0 || identifier > 0xffff) {
      throw new RangeError(`invalid ICMP identifier: ${identifier}`);
    }
    if (this.echoListeners.has(identifier)) throw new Error(`ICMP identifier ${identifier} is in use`);
    this.echoListeners.set(identifier, listener);
    return () => {
      if (this.echoListeners.get(identifier) === listener) this.echoListeners.delete(identifier);
    };
  }

  /** Sends one echo request (type 8) to `dst` with `data` as its payload. */
  sendEchoRequest(dst: number, identifier: number, sequence: number, data: Uint8Array): void {
    const length = ICMP_HEADER + data.length;
    if (length > this.stack.maxPayload) {
      throw new RangeError(`ICMP payload of ${data.length} bytes exceeds the MTU of ${this.stack.mtu}`);
    }
    this.stack.outputWith(PROTO_ICMP, dst, length, (buf, offset) => {
      buf[offset] = ICMP_ECHO_REQUEST;
      buf[offset + 1] = 0;
      buf[offset + 2] = 0;
      buf[offset + 3] = 0;
      buf[offset + 4] = (identifier >>> 8) & 0xff;
      buf[offset + 5] = identifier & 0xff;
      buf[offset + 6] = (sequence >>> 8) & 0xff;
      buf[offset + 7] = sequence & 0xff;
      buf.set(data, offset + ICMP_HEADER);
      setChecksum(buf, offset, offset + length);
    });
    this.counters.echoRequestsSent++;
  }

  private echoReply(h: Ipv4Header, payload: Uint8Array, now: number): void {
    const identifier = (payload[4]! << 8) | payload[5]!;
    const listener = this.echoListeners.get(identifier);
    if (!listener) {
      this.counters.ignored++;
      return;
    }
    this.counters.echoRepliesReceived++;
    listener(h.src, (payload[6]! << 8) | payload[7]!, payload.slice(ICMP_HEADER), now);
  }

  /** Type 3 code 3, quoting the offending packet's IP header and first 8 payload bytes. */
  sendPortUnreachable(packet: Uint8Array, now: number): void {
    this.sendUnreachable(UNREACHABLE_PORT, packet, now);
  }

  /** Type 3 code 2, for a transport protocol nobody registered. */
  sendProtocolUnreachable(packet: Uint8Array, now: number): void {
    // Never answer an ICMP message with an ICMP error (RFC 1122 3.2.2), to avoid error storms.
    if (packet[9] === PROTO_ICMP) return;
    this.sendUnreachable(UNREACHABLE_PROTOCOL, packet, now);
  }

  private takeErrorToken(now: number): boolean {
    if (this.tokensAt !== null && now > this.tokensAt) {
      this.errorTokens = Math.min(
        ICMP_ERROR_BURST,
        this.errorTokens + ((now - this.tokensAt) * ICMP_ERRORS_PER_SECOND) / 1000,
      );
    }
    if (this.tokensAt === null || now > this.tokensAt) this.tokensAt = now;
    if (this.errorTokens < 1) return false;
    this.errorTokens -= 1;
    return true;
  }

  private sendUnreachable(code: number, packet: Uint8Array, now: number): void {
    if (!this.takeErrorToken(now)) {
      this.counters.unreachableRateLimited++;
      return;
    }
    const headerLength = ((packet[0] ?? 0) & 0x0f) * 4;
    const quoteLength = Math.min(packet.length, headerLength + 8);
    const src = ((packet[12]! << 24) | (packet[13]! << 16) | (packet[14]! << 8) | packet[15]!) >>> 0;
    this.stack.outputWith(PROTO_ICMP, src, ICMP_HEADER + quoteLength, (buf, offset) => {
      buf[offset] = ICMP_DEST_UNREACHABLE;
      buf[offset + 1] = code;
      buf.fill(0, offset + 2, offset + ICMP_HEADER);
      buf.set(packet.subarray(0, quoteLength), offset + ICMP_HEADER);
      setChecksum(buf, offset, offset + ICMP_HEADER + quoteLength);
    });
    this.counters.unreachableSent++;
  }
}

function setChecksum(buf: Uint8Array, start: number, end: number): void {
  const sum = finishChecksum(onesComplementSum(buf, start, end));
  buf[start + 2] = sum >>> 8;
  buf[start + 3] = sum & 0xff;
}
