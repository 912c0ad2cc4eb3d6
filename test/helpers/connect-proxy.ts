/**
 * A minimal HTTP CONNECT proxy on loopback, standing in for a cluster's egress
 * proxy: it records every CONNECT (target and Proxy-Authorization) and can be
 * told to refuse. Tunnels only to what the client asks for, which in tests is
 * always a loopback address.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";

export interface ConnectProxy {
  port: number;
  /** "host:port credentials-or-dash", one per CONNECT, in order. */
  seen: string[];
  refuse: boolean;
  /**
   * Answer 403 to any WebSocket upgrade inside a tunnel (plain http targets only: the proxy
   * reads the request line and headers), as egress proxies that forbid WebSockets do.
   */
  refuseUpgrades: boolean;
  /** How many upgrades were refused. */
  refusedUpgrades: number;
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end("CONNECT only\n");
  });
  const sockets = new Set<net.Socket>();
  const proxy: ConnectProxy = {
    port: 0,
    seen: [],
    refuse: false,
    refuseUpgrades: false,
    refusedUpgrades: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    proxy.seen.push(`${req.url} ${req.headers["proxy-authorization"] ?? "-"}`);
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    if (proxy.refuse) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.on("data", (chunk: Buffer) => {
        if (proxy.refuseUpgrades && /\r\nupgrade:\s*websocket/i.test(chunk.toString("latin1"))) {
          proxy.refusedUpgrades++;
          upstream.unpipe(client);
          upstream.destroy();
          client.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
          return;
        }
        upstream.write(chunk);
      });
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
