/**
 * A TCP pass-through in front of the local platform that watches what one agent sends: for every
 * relay WebSocket (a connection whose request is `GET /relay/...`) it reads the client's frames and
 * records the close frame it sent, if any, and whether the agent ended the connection. It lets a
 * test see a clean stop the way the relay sees it.
 */
import net, { type AddressInfo } from "node:net";

export interface RelayConnection {
  path: string;
  /** The close code the agent sent, or null if it sent no close frame. */
  closeCode: number | null;
  /** The agent ended (FIN) or the socket closed. */
  ended: boolean;
}

export interface RelayTap {
  /** The URL to give the agent as its platform. */
  url: string;
  relays: RelayConnection[];
  close(): Promise<void>;
}

/** Reads client-to-server WebSocket frames (masked) from `buf`; returns the close code if one is there. */
export function findCloseFrame(buf: Buffer): { complete: boolean; closeCode: number | null } {
  let at = 0;
  while (at + 2 <= buf.length) {
    const opcode = buf[at]! & 0x0f;
    const masked = (buf[at + 1]! & 0x80) !== 0;
    let len = buf[at + 1]! & 0x7f;
    let header = 2;
    if (len === 126) {
      if (at + 4 > buf.length) break;
      len = buf.readUInt16BE(at + 2);
      header = 4;
    } else if (len === 127) {
      if (at + 10 > buf.length) break;
      len = Number(buf.readBigUInt64BE(at + 2));
      header = 10;
    }
    const maskAt = at + header;
    const payloadAt = maskAt + (masked ? 4 : 0);
    if (payloadAt + len > buf.length) break;
    if (opcode === 0x8) {
      if (len < 2) return { complete: true, closeCode: 1005 };
      const code = masked
        ? ((buf[payloadAt]! ^ buf[maskAt]!) << 8) | (buf[payloadAt + 1]! ^ buf[maskAt + 1]!)
        : buf.readUInt16BE(payloadAt);
      return { complete: true, closeCode: code };
    }
    at = payloadAt + len;
  }
  return { complete: false, closeCode: null };
}

export async function startRelayTap(platformUrl: string): Promise<RelayTap> {
  const target = new URL(platformUrl);
  const sockets = new Set<net.Socket>();
  const relays: RelayConnection[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
    let seen = Buffer.alloc(0);
    let conn: RelayConnection | null = null;
    let framesFrom = -1;
    client.on("data", (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (framesFrom < 0) {
        const end = seen.indexOf("\r\n\r\n");
        if (end < 0) return;
        const requestLine = seen.subarray(0, seen.indexOf("\r\n")).toString("latin1");
        const m = /^GET (\/relay\/\S+) HTTP/.exec(requestLine);
        if (!m) {
          framesFrom = Number.POSITIVE_INFINITY; // not a relay socket; stop looking
          return;
        }
        conn = { path: m[1]!, closeCode: null, ended: false };
        relays.push(conn);
        framesFrom = end + 4;
      }
      if (conn && conn.closeCode === null && Number.isFinite(framesFrom)) {
        conn.closeCode = findCloseFrame(seen.subarray(framesFrom)).closeCode;
      }
    });
    const ended = () => {
      if (conn) conn.ended = true;
    };
    client.on("end", ended);
    client.on("close", ended);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    relays,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
