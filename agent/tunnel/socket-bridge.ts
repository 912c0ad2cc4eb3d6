/**
 * Joins a Node TCP socket (a local client, or the local service an expose rule
 * dials) to a tunnel TCP connection, byte for byte, with bounded buffering in
 * both directions:
 * - socket → tunnel: when the tunnel's send buffer is full, the socket is
 *   paused until the connection says it is writable again;
 * - tunnel → socket: when the socket's write buffer is over its high-water
 *   mark, the connection is paused, which closes its receive window, so the
 *   far side stops sending until the socket drains.
 * Half-close travels both ways (FIN ↔ end()); a reset or error on either side
 * resets the other. The socket must allow half-open connections
 * (`allowHalfOpen: true`), or Node would close it as soon as its peer sent FIN.
 */
import type { Socket } from "node:net";
import type { TcpCloseReason, TcpConnection } from "../net/tcp/connection.ts";

export interface BridgeOptions {
  /** Called after anything that may have moved the TCP timers (see TcpDriver.kick). */
  kick: () => void;
  /** Called once, when both sides are finished. */
  onDone?: (result: { reason: TcpCloseReason | "socket-error"; bytesIn: number; bytesOut: number }) => void;
}

export function bridge(conn: TcpConnection, sock: Socket, opts: BridgeOptions): void {
  const { kick } = opts;
  let pending: Uint8Array | null = null; // socket bytes the tunnel has not taken yet
  let socketEnded = false;
  let finished = false;
  let bytesIn = 0; // tunnel → socket
  let bytesOut = 0; // socket → tunnel

  const finish = (reason: TcpCloseReason | "socket-error") => {
    if (finished) return;
    finished = true;
    opts.onDone?.({ reason, bytesIn, bytesOut });
  };

  const pushPending = () => {
    while (pending) {
      const n = conn.write(pending);
      bytesOut += n;
      if (n === pending.length) pending = null;
      else {
        pending = pending.subarray(n);
        return false;
      }
    }
    return true;
  };

  sock.on("data", (buf: Buffer) => {
    pending = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!pushPending()) sock.pause();
    kick();
  });
  conn.onWritable = () => {
    if (pushPending()) {
      if (socketEnded) conn.end();
      else sock.resume();
    }
    kick();
  };
  sock.on("end", () => {
    socketEnded = true;
    if (pending === null) conn.end();
    kick();
  });

  // Segments arrive one per datagram, and a write per segment costs a syscall
  // each: most of the receiving agent's time. Corking until the poll phase is
  // over turns every segment of one receive batch into a single writev.
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  conn.onData = (chunk) => {
    bytesIn += chunk.length;
    if (!corked) {
      corked = true;
      sock.cork();
      setImmediate(uncork);
    }
    if (!sock.write(chunk)) conn.pause();
  };
  sock.on("drain", () => {
    conn.resume();
    kick();
  });
  conn.onEnd = () => {
    sock.end();
  };
  conn.onClose = (reason) => {
    if (reason === "normal") {
      if (!sock.writableEnded) sock.end();
    } else sock.destroy();
    finish(reason);
  };

  sock.on("error", () => {
    // The close handler below resets the tunnel side.
  });
  sock.on("close", (hadError: boolean) => {
    if (!conn.isClosed()) {
      if (hadError) conn.abort();
      else if (!socketEnded) conn.close();
    }
    kick();
    if (hadError) finish("socket-error");
  });
}
