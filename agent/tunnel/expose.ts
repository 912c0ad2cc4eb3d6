/**
 * `expose` in agent values: the ports this agent accepts on its mesh address,
 * each with the local target it dials (e.g. `kubernetes.default.svc:443`).
 * Nothing else is reachable: a SYN to any other port gets a RST from the TCP
 * layer, because only these ports have listeners.
 */
import { connect } from "node:net";
import type { TcpListener } from "../net/tcp/tcp-layer.ts";
import type { ExposeRule } from "../settings/agent-settings.ts";
import type { Logger } from "../util/logger.ts";
import { bridge } from "./socket-bridge.ts";
import type { TcpDriver } from "./tcp-driver.ts";

export interface ExposeCounters {
  accepted: number;
  targetFailed: number;
  active: number;
}

export class ExposeService {
  readonly counters: ExposeCounters = { accepted: 0, targetFailed: 0, active: 0 };
  private readonly listeners = new Map<number, { target: string; listener: TcpListener }>();

  constructor(
    private readonly driver: TcpDriver,
    private readonly log: Logger,
  ) {}

  /** Makes the listeners match `rules`: new ports open, removed ports close (live connections stay). */
  apply(rules: readonly ExposeRule[]): void {
    const wanted = new Map(rules.map((r) => [r.port, r.target]));
    for (const [port, entry] of this.listeners) {
      if (wanted.get(port) !== entry.target) {
        entry.listener.close();
        this.listeners.delete(port);
      }
    }
    for (const [port, target] of wanted) {
      if (this.listeners.has(port)) continue;
      const listener = this.driver.tcp.listen(port, (conn) => this.accept(port, target, conn));
      this.listeners.set(port, { target, listener });
      this.log.info("exposing a port on the mesh address", { port, target });
    }
  }

  rules(): ExposeRule[] {
    return [...this.listeners].map(([port, e]) => ({ port, target: e.target }));
  }

  stop(): void {
    for (const e of this.listeners.values()) e.listener.close();
    this.listeners.clear();
  }

  private accept(
    port: number,
    target: string,
    conn: Parameters<Parameters<TcpDriver["tcp"]["listen"]>[1]>[0],
  ): void {
    this.counters.accepted++;
    const { host, port: targetPort } = splitHostPort(target);
    // Hold the peer's bytes in the TCP receive window until the target answers.
    conn.pause();
    const sock = connect({ host, port: targetPort, allowHalfOpen: true });
    sock.setNoDelay(true);
    let connected = false;
    sock.once("connect", () => {
      connected = true;
      this.counters.active++;
      conn.resume();
      this.driver.kick();
    });
    sock.once("error", (e) => {
      if (connected) return;
      this.counters.targetFailed++;
      this.log.warn("expose: target refused", { port, target, error: e.message });
      conn.abort();
      this.driver.kick();
    });
    bridge(conn, sock, {
      kick: () => this.driver.kick(),
      onDone: () => {
        if (connected) this.counters.active--;
      },
    });
  }
}

/** "host:port" or "[v6]:port"; rules were validated when values were parsed. */
export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
}
