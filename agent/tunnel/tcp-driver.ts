/**
 * Runs the sans-I/O TCP layer inside the agent: registers it with the IP stack
 * and keeps exactly one timer, set for the earliest deadline any connection has
 * (retransmission, delayed ACK, persist, TIME-WAIT). Whoever touches a
 * connection (a packet arrived, an app wrote or read) calls kick(), which
 * re-arms the timer if the deadline moved earlier.
 *
 * One clock for everything: whatever clock the driver hands the stack for
 * packets (the agent uses Date.now(), the runnable peer performance.now()) must
 * be the clock given here, or timers would compare times from two clocks.
 */
import type { NetStack } from "../net/stack.ts";
import { TcpLayer } from "../net/tcp/tcp-layer.ts";

export class TcpDriver {
  readonly tcp: TcpLayer;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  /** Segments the stack refused as larger than the current MTU. */
  oversized = 0;

  constructor(
    stack: NetStack,
    mss: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tcp = new TcpLayer({
      localIp: stack.address,
      send: (packet) => {
        try {
          stack.transmit(packet);
        } catch {
          // Only after agent values lowered the MTU below a connection's MSS: the segment is
          // lost like on a real link, and retransmission (smaller it is not) keeps failing until
          // the connection times out. New connections use the new MSS.
          this.oversized++;
        }
      },
      now,
      config: { mss },
      onAckDeferred: () => setImmediate(this.flushAcks),
    });
    stack.registerProtocol(6, {
      input: (h, payload, now, _packet, owned) => {
        this.tcp.input(h, payload, now, owned);
        this.kick();
      },
    });
  }

  /** After the poll phase: every datagram libuv read in one go has been through the stack. */
  private readonly flushAcks = (): void => {
    if (this.stopped) return;
    this.tcp.flushAcks(this.now());
    this.kick();
  };

  /** Re-arms the timer for the earliest deadline. Cheap when nothing moved. */
  kick(): void {
    if (this.stopped) return;
    const next = this.tcp.nextDeadline;
    if (next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    if (next === Number.POSITIVE_INFINITY) {
      this.timer = null;
      return;
    }
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.tcp.tick(this.now());
    this.kick();
  }
}
