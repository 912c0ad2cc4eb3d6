/**
 * A liveness invariant for TCP connections under test: whenever a connection owes the peer
 * something (data written and not acknowledged, or a FIN not acknowledged), some timer must be
 * armed (retransmission, tail loss probe, reordering, persist), or an event that may never
 * come (a lost ACK) would leave it silent forever. The tests check it after every simulated
 * event, so a state that breaks it is caught at the step it appears, not 120 s later.
 */
import type { TcpConnection, TcpState } from "../../../agent/net/tcp/connection.ts";

/** States in which our FIN was sent (or is due) and not yet acknowledged. */
const FIN_OUTSTANDING: ReadonlySet<TcpState> = new Set(["FIN-WAIT-1", "CLOSING", "LAST-ACK"]);

/** Why `conn` is stuck (owes the peer bytes or a FIN with no timer armed), or undefined when it is live. */
export function stallReason(conn: TcpConnection): string | undefined {
  const st = conn.state;
  if (st === "CLOSED" || st === "TIME-WAIT" || st === "LISTEN") return undefined;
  const s = conn.sequence;
  const owes = conn.bufferedAmount > 0 || s.sndUna !== s.sndMax || FIN_OUTSTANDING.has(st);
  if (!owes) return undefined;
  if (Number.isFinite(conn.nextDeadline)) return undefined;
  const t = conn.transport;
  return (
    `${st}: ${conn.bufferedAmount} bytes buffered, una ${s.sndUna} nxt ${s.sndNxt} max ${s.sndMax}, ` +
    `cwnd ${t.cwnd} ssthresh ${t.ssthresh} send window ${t.sendWindow}, and no timer armed`
  );
}

/** Throws with the stuck connection's state when any of `conns` breaks the invariant. */
export function assertLive(...conns: TcpConnection[]): void {
  for (const c of conns) {
    const why = stallReason(c);
    if (why !== undefined) throw new Error(`connection ${c.localPort} -> ${c.remotePort} stalled: ${why}`);
  }
}
