/**
 * The agent's TCP services on this host: `expose` (peers reach local targets),
 * `forward` (local listeners carried to peers) and the SOCKS5 proxy into the
 * mesh. They run on the engine's TCP and follow agent values.
 */
import type { Engine } from "../engine/engine.ts";
import type { Cidr } from "../net/ipv4.ts";
import { ipToString } from "../net/ipv4.ts";
import type { AgentSettings } from "../settings/agent-settings.ts";
import { type ForwardInfo, ForwardService, type ForwardSpec } from "../tunnel/forward.ts";
import { valuesMayListenOn } from "../tunnel/listen-policy.ts";
import { Socks5Server } from "../tunnel/socks5-server.ts";
import type { Destination } from "../tunnel/socks5-wire.ts";
import type { Logger } from "../util/logger.ts";

export class LocalServices {
  private readonly forwards: ForwardService;
  /** Forwards started from agent values (as opposed to `tether agent forward`). */
  private readonly valueForwards = new Set<string>();
  private socks: Socks5Server | null = null;

  constructor(
    private readonly engine: Engine<unknown>,
    /** A peer's mesh IP by cluster name or dotted mesh IP; null when it is not in the netmap. */
    private readonly peerIpOf: (target: string) => number | null,
    private readonly log: Logger,
    /** Where values may listen besides loopback (`--allow-forward-listen`); see listen-policy.ts. */
    private readonly allowForwardListen: readonly Cidr[] = [],
  ) {
    this.forwards = new ForwardService(engine.tcp, peerIpOf, log);
  }

  /** Listens for SOCKS5 on "host:port". */
  async startSocks5(hostPort: string): Promise<void> {
    this.socks = new Socks5Server(this.engine.tcp, (d) => this.socksTarget(d), this.log);
    const i = hostPort.lastIndexOf(":");
    await this.socks.listen(hostPort.slice(0, i), Number(hostPort.slice(i + 1)));
  }

  /** The expose and forward entries of agent values. */
  apply(settings: AgentSettings): void {
    this.engine.expose.apply(settings.expose);
    const specs: ForwardSpec[] = [];
    for (const f of settings.forward) {
      if (valuesMayListenOn(f.listenHost, this.allowForwardListen)) {
        specs.push({ ...f });
        continue;
      }
      this.log.warn("agent values: a forward may not listen there", {
        listen: `${f.listenHost}:${f.listenPort}`,
        problem: "values may listen on loopback only; the agent's --allow-forward-listen CIDR allows more",
      });
    }
    void this.forwards.sync(specs, this.valueForwards).then((problems) => {
      for (const p of problems) this.log.warn("agent values: a forward could not start", { problem: p });
    });
  }

  addForward(spec: ForwardSpec): Promise<ForwardInfo> {
    return this.forwards.add(spec);
  }

  status(): { expose: { port: number; target: string }[]; forwards: ForwardInfo[]; socks5: string | null } {
    return {
      expose: this.engine.expose.rules(),
      forwards: this.forwards.list(),
      socks5: this.socks?.address ?? null,
    };
  }

  async stop(): Promise<void> {
    this.socks?.close();
    await this.forwards.stop();
  }

  /** SOCKS5 destinations: `<cluster>.tether`, or a peer's mesh IP (as an address or a dotted name). */
  private socksTarget(d: Destination): number | null {
    if (d.type === "ipv4") return this.peerIpOf(ipToString(d.ip));
    const name = d.name.toLowerCase().replace(/\.$/, "");
    if (name.endsWith(".tether")) return this.peerIpOf(name.slice(0, -".tether".length));
    return /^\d+\.\d+\.\d+\.\d+$/.test(name) ? this.peerIpOf(name) : null;
  }
}
