import { parse } from "yaml";
import { validateAgentValues } from "../../protocol/agent-values/validate.ts";
import type { LogLevel } from "../util/logger.ts";

/**
 * The part of a cluster's effective agent values that the agent applies while
 * running. Values come from people (a YAML annotation, the platform config), so
 * every field is validated on its own (against the agent values schema,
 * protocol/agent-values): a bad field is reported and ignored, and the rest
 * still applies, rather than one typo stopping the agent.
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

export interface ValuesProblem {
  /** Dotted path of the rejected value (array indices as `.0`); "" for the whole document. */
  path: string;
  message: string;
}

export interface ParsedSettings {
  settings: AgentSettings;
  /** Dotted paths of the values applied: `mtu`, `relay.mode`, `expose.0`, ... */
  applied: string[];
  /** Each value that was present but ignored, and why. */
  problems: ValuesProblem[];
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function validHostPort(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const m = HOST_PORT.exec(s);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) < 65536;
}

const PORT_RANGE = "has a port outside 1-65535";

/**
 * The settings from a values document. Each value is checked against the agent values schema (the
 * one the platform checks on write); a value that breaks it, or a port the schema's pattern lets
 * through but no socket takes, is reported and ignored while the rest applies.
 */
export function parseSettings(yamlText: string, base: AgentSettings = DEFAULT_SETTINGS): ParsedSettings {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (e) {
    const message = `values are not valid YAML: ${(e as Error).message.split("\n")[0]}`;
    return { settings: base, applied: [], problems: [{ path: "", message }] };
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    return { settings: base, applied: [], problems: [{ path: "", message: "values are not a map" }] };
  }
  const v = doc as Record<string, unknown>;
  const problems: ValuesProblem[] = validateAgentValues(v);
  const applied: string[] = [];
  /** True when no problem sits at `path` or below it. */
  const clean = (path: string) => !problems.some((p) => p.path === path || p.path.startsWith(`${path}.`));
  /** A list as a whole is usable when nothing is wrong with the list itself; its entries go one by one. */
  const listOk = (path: string) => !problems.some((p) => p.path === path);
  const take = (path: string, value: unknown): boolean => {
    if (value === undefined || value === null || !clean(path)) return false;
    applied.push(path);
    return true;
  };
  // Start from `base` (the defaults plus command-line choices such as the log level), never from
  // the values applied last time: a key removed from the values must fall back, not stay.
  const s: AgentSettings = {
    ...base,
    stunServers: [...base.stunServers],
    expose: [...base.expose],
    forward: [...base.forward],
  };

  if (take("logLevel", v.logLevel)) s.logLevel = v.logLevel as LogLevel;
  const relay = v.relay as Record<string, unknown> | null | undefined;
  if (take("relay.mode", relay?.mode)) s.relayMode = relay?.mode as RelayMode;
  if (take("persistentKeepalive", v.persistentKeepalive))
    s.persistentKeepaliveSeconds = v.persistentKeepalive as number;
  if (take("mtu", v.mtu)) s.mtu = v.mtu as number;
  if (Array.isArray(v.stunServers) && clean("stunServers")) {
    if (v.stunServers.every(validHostPort)) {
      s.stunServers = [...v.stunServers];
      applied.push("stunServers");
    } else problems.push({ path: "stunServers", message: PORT_RANGE });
  }
  if (Array.isArray(v.expose) && listOk("expose")) {
    for (const [i, e] of v.expose.entries()) {
      const path = `expose.${i}`;
      if (!clean(path)) continue;
      const r = e as { port: number; target: string };
      if (validHostPort(r.target)) {
        s.expose.push({ port: r.port, target: r.target });
        applied.push(path);
      } else problems.push({ path: `${path}.target`, message: PORT_RANGE });
    }
  }
  if (Array.isArray(v.forward) && listOk("forward")) {
    for (const [i, e] of v.forward.entries()) {
      const path = `forward.${i}`;
      if (!clean(path)) continue;
      const rule = parseForwardRule(e);
      if (rule) {
        s.forward.push(rule);
        applied.push(path);
      } else problems.push({ path, message: PORT_RANGE });
    }
  }
  return { settings: s, applied, problems };
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
