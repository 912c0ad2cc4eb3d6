/**
 * A SOCKS5 proxy (`tether agent up --socks5 127.0.0.1:1080`) into the mesh:
 * CONNECT to `<cluster>.tether`, or to a peer's mesh IP, is carried through
 * the tunnel to that peer's exposed port. Nothing else is proxied: other names
 * and addresses get "not allowed by ruleset", so the proxy can never become a
 * way out to the internet.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { TcpConnection } from "../net/tcp/connection.ts";
import type { Logger } from "../util/logger.ts";
import { bridge } from "./socket-bridge.ts";
import {
  type Destination,
  encodeMethodChoice,
  encodeReply,
  METHOD_NO_AUTH,
  METHOD_NONE_ACCEPTABLE,
  parseGreeting,
  parseRequest,
  Reply,
} from "./socks5-wire.ts";
import type { TcpDriver } from "./tcp-driver.ts";

/** A request bigger than this is not SOCKS5 (the longest valid one is 262 bytes). */
const MAX_HANDSHAKE_BYTES = 600;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface Socks5Counters {
  accepted: number;
  connected: number;
  refused: number;
  badRequests: number;
}

export class Socks5Server {
  readonly counters: Socks5Counters = { accepted: 0, connected: 0, refused: 0, badRequests: 0 };
  private server: Server | null = null;
  address = "";

  constructor(
    private readonly driver: TcpDriver,
    /** Mesh IP of a peer named by `<cluster>.tether`, a dotted mesh IP, or a uint32 mesh IP; null if none. */
    private readonly resolve: (dest: Destination) => number | null,
    private readonly log: Logger,
  ) {}

  async listen(host: string, port: number): Promise<string> {
    const server = createServer({ allowHalfOpen: true }, (sock) => this.handle(sock));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address();
    this.address = typeof a === "object" && a ? `${host}:${a.port}` : `${host}:${port}`;
    this.log.info("SOCKS5 proxy listening", { address: this.address });
    return this.address;
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }

  private handle(sock: Socket): void {
    this.counters.accepted++;
    sock.setNoDelay(true);
    let buf = new Uint8Array(0);
    let stage: "greeting" | "request" = "greeting";
    const timer = setTimeout(() => sock.destroy(), HANDSHAKE_TIMEOUT_MS);
    const fail = (reply: number | null, message: string) => {
      clearTimeout(timer);
      this.counters.badRequests++;
      this.log.debug("SOCKS5 request refused", { message });
      if (reply !== null) sock.end(encodeReply(reply));
      else sock.end();
      sock.removeListener("data", onData);
    };
    const onData = (chunk: Buffer) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      if (buf.length > MAX_HANDSHAKE_BYTES) return fail(Reply.generalFailure, "handshake too long");
      if (stage === "greeting") {
        const g = parseGreeting(buf);
        if (g.kind === "need-more") return;
        if (g.kind === "bad") return fail(null, g.message);
        if (!g.value.noAuth) {
          sock.end(encodeMethodChoice(METHOD_NONE_ACCEPTABLE));
          clearTimeout(timer);
          this.counters.badRequests++;
          return;
        }
        sock.write(encodeMethodChoice(METHOD_NO_AUTH));
        buf = buf.subarray(g.used);
        stage = "request";
      }
      const r = parseRequest(buf);
      if (r.kind === "need-more") return;
      if (r.kind === "bad") return fail(r.reply, r.message);
      clearTimeout(timer);
      sock.removeListener("data", onData);
      sock.pause();
      const rest = buf.subarray(r.used);
      const ip = this.resolve(r.value);
      if (ip === null) {
        this.counters.refused++;
        const what = r.value.type === "name" ? r.value.name : "that address";
        this.log.debug("SOCKS5: not a peer on the mesh", { destination: what });
        sock.end(encodeReply(Reply.notAllowed));
        return;
      }
      this.open(sock, ip, r.value.port, rest);
    };
    sock.on("data", onData);
    sock.on("error", () => clearTimeout(timer));
    sock.on("close", () => clearTimeout(timer));
  }

  private open(sock: Socket, ip: number, port: number, early: Uint8Array): void {
    let conn: TcpConnection;
    try {
      conn = this.driver.tcp.connect(ip, port);
    } catch (e) {
      this.log.warn("SOCKS5: cannot open a tunnel connection", { error: (e as Error).message });
      sock.end(encodeReply(Reply.generalFailure));
      return;
    }
    let established = false;
    conn.onClose = (reason) => {
      // Closed before it was established: tell the client why, as SOCKS5 does.
      this.counters.refused++;
      sock.end(encodeReply(reason === "refused" ? Reply.connectionRefused : Reply.hostUnreachable));
    };
    sock.on("close", () => {
      if (!established && !conn.isClosed()) conn.abort();
    });
    conn.onEstablished = () => {
      established = true;
      this.counters.connected++;
      sock.write(encodeReply(Reply.succeeded, conn.localIp, conn.localPort));
      bridge(conn, sock, { kick: () => this.driver.kick() });
      if (early.length > 0) sock.unshift(Buffer.from(early));
      sock.resume();
      this.driver.kick();
    };
    this.driver.kick();
  }
}
