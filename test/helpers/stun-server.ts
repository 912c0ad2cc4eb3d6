/**
 * A STUN (RFC 5389) Binding responder on loopback. It answers with the source
 * address it saw, except that `mapHost` can stand in for the public address of
 * a NAT (another loopback address such as 127.0.0.2), so a test can tell the
 * STUN-reflexive candidate from the agent's own addresses while every packet
 * still stays on loopback.
 */
import { createSocket } from "node:dgram";
import { encodeBindingSuccess, parseBindingRequest } from "../../agent/paths/stun.ts";

export interface StunServer {
  port: number;
  requests: number;
  close(): Promise<void>;
}

export async function startStunServer(
  opts: { mapHost?: string; bindHost?: string; port?: number } = {},
): Promise<StunServer> {
  const socket = createSocket("udp4");
  const server: StunServer = {
    port: 0,
    requests: 0,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
  socket.on("message", (msg, rinfo) => {
    const tid = parseBindingRequest(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    if (!tid) return;
    server.requests++;
    const reply = encodeBindingSuccess(tid, { host: opts.mapHost ?? rinfo.address, port: rinfo.port });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(opts.port ?? 0, opts.bindHost ?? "127.0.0.1", () => r()));
  server.port = socket.address().port;
  return server;
}
