/**
 * Tunables for the user-space TCP. Defaults suit a WireGuard tunnel with a
 * 1420-byte MTU: 1420 - 20 (IPv4) - 20 (TCP) leaves 1380 bytes per segment.
 */
import type { CongestionControlName } from "./congestion/controller.ts";

export interface TcpConfig {
  /** Largest payload we accept per segment, announced in our SYN. */
  readonly mss: number;
  /** Bytes the app may have written but the peer has not acknowledged. write() accepts no more. */
  readonly sendBufferSize: number;
  /**
   * Bytes received but not yet taken by the app at first; the advertised window never exceeds
   * what is free. Grows with the measured rate up to maxReceiveBufferSize (autotuning).
   */
  readonly receiveBufferSize: number;
  /**
   * Ceiling of receive-buffer autotuning: when the peer delivers more than half the buffer
   * per round trip and the app keeps up, the buffer (and so the window) grows, so a long fat
   * path is not limited to receiveBufferSize per RTT. Equal to receiveBufferSize: no autotuning.
   */
  readonly maxReceiveBufferSize: number;
  /** Cap on out-of-order fragments held, whatever their size, so tiny overlapping segments cannot pile up. */
  readonly maxOutOfOrderSegments: number;
  readonly initialRtoMs: number;
  /**
   * RFC 6298 asks for a 1 s floor; Linux uses 200 ms. Inside a tunnel the
   * path RTT is usually a few ms, so 200 ms recovers from a tail loss faster
   * while still sitting well above delayed-ACK timers on the far side.
   */
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  readonly delayedAckMs: number;
  /** Maximum segment lifetime; TIME-WAIT lasts twice this. Short because tunnel paths do not hold segments for minutes. */
  readonly mslMs: number;
  /** Consecutive RTO expiries without progress before the connection is reset with reason "timeout". */
  readonly maxRetransmits: number;
  readonly maxSynRetransmits: number;
  /** RFC 6928 initial window, in segments. */
  readonly initialCwndSegments: number;
  /** Half-open (SYN-RECEIVED) connections per listener before new SYNs are ignored. */
  readonly maxSynBacklog: number;
  /** Offer selective acknowledgements (RFC 2018); used only when the peer offers them too. */
  readonly sack: boolean;
  /**
   * Offer timestamps (RFC 7323); used only when the peer offers them too. They cost 12 bytes per
   * segment and give an RTT sample on every ACK that advances, retransmissions included, and
   * show a retransmission needless when its ACK echoes the original's timestamp (Eifel).
   */
  readonly timestamps: boolean;
  /** Congestion control: CUBIC (RFC 9438) by default, or Reno (RFC 5681). */
  readonly congestionControl: CongestionControlName;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  mss: 1380,
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
  maxReceiveBufferSize: 4 * 1024 * 1024,
  maxOutOfOrderSegments: 256,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  delayedAckMs: 40,
  mslMs: 15_000,
  maxRetransmits: 12,
  maxSynRetransmits: 6,
  initialCwndSegments: 10,
  maxSynBacklog: 128,
  sack: true,
  timestamps: true,
  congestionControl: "cubic",
};

export function resolveTcpConfig(overrides: Partial<TcpConfig> = {}): TcpConfig {
  const c: TcpConfig = {
    ...DEFAULT_TCP_CONFIG,
    ...overrides,
    // A smaller receive buffer given alone keeps its window fixed, as before autotuning.
    maxReceiveBufferSize:
      overrides.maxReceiveBufferSize ??
      overrides.receiveBufferSize ??
      DEFAULT_TCP_CONFIG.maxReceiveBufferSize,
  };
  const positive = ["mss", "sendBufferSize", "receiveBufferSize", "maxOutOfOrderSegments"] as const;
  for (const k of positive) {
    if (!Number.isInteger(c[k]) || c[k] <= 0)
      throw new RangeError(`tcp config ${k} must be a positive integer`);
  }
  if (c.mss < 64 || c.mss > 65495) throw new RangeError(`tcp config mss out of range: ${c.mss}`);
  // A window scale of 14 with a 16-bit field caps the window at 1 GiB (RFC 7323 §2.3).
  if (c.receiveBufferSize > 0x3fffffff) throw new RangeError("tcp config receiveBufferSize above 1 GiB");
  if (!Number.isInteger(c.maxReceiveBufferSize) || c.maxReceiveBufferSize < c.receiveBufferSize)
    throw new RangeError("tcp config maxReceiveBufferSize must be an integer >= receiveBufferSize");
  if (c.maxReceiveBufferSize > 0x3fffffff)
    throw new RangeError("tcp config maxReceiveBufferSize above 1 GiB");
  if (c.congestionControl !== "cubic" && c.congestionControl !== "reno")
    throw new RangeError(
      `tcp config congestionControl must be "cubic" or "reno": ${String(c.congestionControl)}`,
    );
  if (c.minRtoMs <= 0 || c.maxRtoMs < c.minRtoMs)
    throw new RangeError("tcp config RTO bounds are inconsistent");
  return c;
}

/** Smallest shift that lets the whole receive buffer be advertised in 16 bits. */
export function windowShiftFor(receiveBufferSize: number): number {
  let shift = 0;
  while (receiveBufferSize >> shift > 0xffff && shift < 14) shift++;
  return shift;
}
