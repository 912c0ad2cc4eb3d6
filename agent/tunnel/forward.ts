/**
 * `tether agent forward <cluster>:<port> --listen 127.0.0.1:N` and `forward`
 * entries in agent values: a local TCP listener whose every connection is
 * carried through the tunnel to a peer's exposed port.
 */
import { createServer, type Server } from "node:net";
import type { Logger } from "../util/logger.ts";
import { bridge } from "./socket-bridge.ts";
import type { TcpDriver } from "./tcp-driver.ts";

export interface ForwardSpec {
  /** The peer, as its cluster name (resolved at each connection, so it follows netmap changes). */
  peer: string;
  port: number;
  listenHost: string;
  listenPort: number;
}

export interface ForwardInfo extends ForwardSpec {
  /** Where it actually listens (listenPort 0 picks a free port). */
  address: string;
  connections: number;
  active: number;
  failed: number;
}

interface Entry {
  spec: ForwardSpec;
  server: Server;
  info: ForwardInfo;
}

export class ForwardService {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly driver: TcpDriver,
    /** Mesh IP (uint32) of a peer by cluster name or dotted mesh IP, or null. */
    private readonly resolve: (peer: string) => number | null,
    private readonly log: Logger,
  ) {}

  async add(spec: ForwardSpec): Promise<ForwardInfo> {
    const key = `${spec.listenHost}:${spec.listenPort}`;
    const existing = this.entries.get(key);
    if (existing && spec.listenPort !== 0) {
      if (existing.spec.peer === spec.peer && existing.spec.port === spec.port) return existing.info;
      throw new ForwardError(`${key} already forwards to ${existing.spec.peer}:${existing.spec.port}`);
    }
    const info: ForwardInfo = { ...spec, address: "", connections: 0, active: 0, failed: 0 };
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => {
      info.connections++;
      const ip = this.resolve(spec.peer);
      if (ip === null) {
        info.failed++;
        this.log.warn("forward: peer not in the netmap", { peer: spec.peer });
        sock.destroy();
        return;
      }
      sock.setNoDelay(true);
      const conn = this.driver.tcp.connect(ip, spec.port);
      info.active++;
      bridge(conn, sock, {
        kick: () => this.driver.kick(),
        onDone: ({ reason }) => {
          info.active--;
          if (reason === "refused" || reason === "timeout") info.failed++;
        },
      });
      sock.resume();
      this.driver.kick();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) => reject(new ForwardError(`cannot listen on ${key}: ${e.message}`)));
      server.listen(spec.listenPort, spec.listenHost, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : spec.listenPort;
    info.address = `${spec.listenHost}:${port}`;
    info.listenPort = port;
    this.entries.set(`${spec.listenHost}:${port}`, { spec: { ...spec, listenPort: port }, server, info });
    this.log.info("forwarding", { listen: info.address, to: `${spec.peer}:${spec.port}` });
    return info;
  }

  list(): ForwardInfo[] {
    return [...this.entries.values()].map((e) => ({ ...e.info }));
  }

  /** Keeps exactly these (from agent values) besides those added by hand; returns problems. */
  async sync(specs: readonly ForwardSpec[], managed: Set<string>): Promise<string[]> {
    const problems: string[] = [];
    const wanted = new Set(specs.map((s) => `${s.listenHost}:${s.listenPort}`));
    for (const key of managed) {
      if (!wanted.has(key)) {
        await this.remove(key);
        managed.delete(key);
      }
    }
    for (const s of specs) {
      const key = `${s.listenHost}:${s.listenPort}`;
      try {
        await this.add(s);
        managed.add(key);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    return problems;
  }

  async remove(key: string): Promise<boolean> {
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    // Stops accepting; connections already carried finish on their own.
    e.server.close();
    return true;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((k) => this.remove(k)));
  }
}

export class ForwardError extends Error {}
