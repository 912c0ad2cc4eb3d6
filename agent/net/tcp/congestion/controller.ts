/**
 * Congestion control behind one small interface (as smoltcp's `Controller`): the connection
 * reports ACKs, losses and timeouts; the controller owns cwnd and ssthresh. Loss *detection*
 * (RACK, duplicate ACKs) stays in the connection; this only decides how big the window is.
 * The implementations are in reno.ts and cubic.ts; create.ts picks one by name.
 */

export type CongestionControlName = "reno" | "cubic";

export interface CongestionController {
  readonly name: CongestionControlName;
  /** Congestion window in bytes. */
  readonly window: number;
  readonly ssthresh: number;
  /** `acked` bytes of new data were cumulatively acknowledged outside recovery. */
  onAck(acked: number, now: number, srttMs: number | undefined): void;
  /**
   * A loss was detected (entering fast recovery): multiplicative decrease. `newEpisode` false
   * (a timeout during recovery) keeps the state from before the episode for undo().
   */
  onLoss(now: number, flight: number, newEpisode?: boolean): void;
  /** The retransmission timer fired: ssthresh as for a loss, the window back to one segment. */
  onTimeout(now: number, flight: number, newEpisode?: boolean): void;
  /** The last onLoss/onTimeout was spurious (its retransmissions were all needless): undo it. */
  undo(): void;
  /**
   * Sets the window outright: the handshake's initial window, a lost SYN's one segment, and
   * NewReno's inflation and deflation during fast recovery without SACK (RFC 6582).
   */
  setWindow(bytes: number): void;
  /** The segment size changed (handshake, or a lowered path MTU). */
  setMss(mss: number): void;
  /** Never let the window grow past this (twice what could ever be in flight). */
  capTo(bytes: number): void;
}

/**
 * Most bytes one ACK may open the window by in slow start, in segments: RFC 3465's L, raised
 * from 2 to the stretch our own coalesced ACKs may have (see the connection's ACK coalescing).
 */
export const SLOW_START_MAX_SEGMENTS_PER_ACK = 16;
