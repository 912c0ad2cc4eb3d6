import { parse } from "yaml";
import { LOG_LEVELS, type LogLevel } from "../util/logger.ts";

/**
 * The part of a cluster's effective agent values that the agent applies while
 * running. Values come from people (a YAML annotation, the platform config), so
 * every field is validated on its own: a bad field is reported and ignored,
 * and the rest still applies, rather than one typo stopping the agent.
 *
 * Recognised keys (all optional):
 *   logLevel: debug|info|warn|error
 *   relay: { mode: auto|always|never }
 *   persistentKeepalive: seconds (0 = off; NAT mappings want < 25)
 *   mtu: 576..1420
 *   stunServers: ["host:port", ...]
 *   expose: [{ port: 443, target: "kubernetes.default.svc:443" }, ...]
 *   forward: [{ listen: "127.0.0.1:6443", to: "staging:443" }, ...]   (listen may be a bare port)
 */

export type RelayMode = "auto" | "always" | "never";

export interface ExposeRule {
  port: number;
  target: string;
}

export interface ForwardRule {
  listenHost: string;
  listenPort: number;
  /** Peer cluster name (or mesh IP) and its exposed port. */
  peer: string;
  port: number;
}

export interface AgentSettings {
  logLevel: LogLevel;
  relayMode: RelayMode;
  persistentKeepaliveSeconds: number;
  mtu: number;
  stunServers: string[];
  expose: ExposeRule[];
  forward: ForwardRule[];
}

export const DEFAULT_SETTINGS: AgentSettings = {
  logLevel: "info",
  relayMode: "auto",
  persistentKeepaliveSeconds: 20,
  mtu: 1420,
  stunServers: [],
  expose: [],
  forward: [],
};

export interface ParsedSettings {
  settings: AgentSettings;
  /** One line per field that was present but ignored. */
  problems: string[];
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function validHostPort(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const m = HOST_PORT.exec(s);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) < 65536;
}

export function parseSettings(yamlText: string, base: AgentSettings = DEFAULT_SETTINGS): ParsedSettings {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (e) {
    return {
      settings: base,
      problems: [`values are not valid YAML: ${(e as Error).message.split("\n")[0]}`],
    };
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    return { settings: base, problems: ["values are not a map"] };
  }
  const v = doc as Record<string, unknown>;
  // Start from `base` (the defaults plus command-line choices such as the log level), never from
  // the values applied last time: a key removed from the values must fall back, not stay.
  const s: AgentSettings = {
    ...base,
    stunServers: [...base.stunServers],
    expose: [...base.expose],
    forward: [...base.forward],
  };

  if (v.logLevel !== undefined) {
    if (LOG_LEVELS.includes(v.logLevel as LogLevel)) s.logLevel = v.logLevel as LogLevel;
    else problems.push(`logLevel must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const relay = v.relay;
  if (relay !== undefined) {
    const mode = relay && typeof relay === "object" ? (relay as Record<string, unknown>).mode : undefined;
    if (mode === "auto" || mode === "always" || mode === "never") s.relayMode = mode;
    else if (mode !== undefined) problems.push("relay.mode must be auto, always or never");
  }
  if (v.persistentKeepalive !== undefined) {
    const k = v.persistentKeepalive;
    if (typeof k === "number" && Number.isInteger(k) && k >= 0 && k <= 3600) s.persistentKeepaliveSeconds = k;
    else problems.push("persistentKeepalive must be whole seconds between 0 and 3600");
  }
  if (v.mtu !== undefined) {
    const m = v.mtu;
    if (typeof m === "number" && Number.isInteger(m) && m >= 576 && m <= 1420) s.mtu = m;
    else problems.push("mtu must be a whole number between 576 and 1420");
  }
  if (v.stunServers !== undefined) {
    if (Array.isArray(v.stunServers) && v.stunServers.every(validHostPort))
      s.stunServers = [...v.stunServers];
    else problems.push('stunServers must be a list of "host:port"');
  }
  if (v.expose !== undefined) {
    if (!Array.isArray(v.expose)) problems.push("expose must be a list");
    else {
      for (const [i, e] of v.expose.entries()) {
        const r = e as Record<string, unknown> | null;
        const port = r?.port;
        if (
          r &&
          typeof port === "number" &&
          Number.isInteger(port) &&
          port > 0 &&
          port < 65536 &&
          validHostPort(r.target)
        ) {
          s.expose.push({ port, target: r.target as string });
        } else problems.push(`expose[${i}] needs port (1-65535) and target "host:port"`);
      }
    }
  }
  if (v.forward !== undefined) {
    if (!Array.isArray(v.forward)) problems.push("forward must be a list");
    else {
      for (const [i, e] of v.forward.entries()) {
        const rule = parseForwardRule(e);
        if (rule) s.forward.push(rule);
        else problems.push(`forward[${i}] needs listen ("127.0.0.1:N" or N) and to ("cluster:port")`);
      }
    }
  }
  return { settings: s, problems };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PEER = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|(\d{1,3}\.){3}\d{1,3}):(\d{1,5})$/;

function portOk(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}

/** One `forward` entry; also what `tether agent forward` parses from its arguments. */
export function parseForwardRule(e: unknown): ForwardRule | null {
  if (!e || typeof e !== "object") return null;
  const r = e as Record<string, unknown>;
  let listenHost = "127.0.0.1";
  let listenPort: number;
  if (typeof r.listen === "number") listenPort = r.listen;
  else if (typeof r.listen === "string") {
    const i = r.listen.lastIndexOf(":");
    if (i < 0) listenPort = Number(r.listen);
    else {
      listenHost = r.listen.slice(0, i);
      listenPort = Number(r.listen.slice(i + 1));
      if (!IPV4.test(listenHost)) return null;
    }
  } else return null;
  if (!portOk(listenPort) && listenPort !== 0) return null;
  const to = typeof r.to === "string" ? PEER.exec(r.to) : null;
  if (!to) return null;
  const port = Number(to[4]);
  if (!portOk(port)) return null;
  return { listenHost, listenPort, peer: to[1]!, port };
}
