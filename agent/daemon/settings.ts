import { parse } from "yaml";
import { LOG_LEVELS, type LogLevel } from "./logger.ts";

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
 */

export type RelayMode = "auto" | "always" | "never";

export interface ExposeRule {
  port: number;
  target: string;
}

export interface AgentSettings {
  logLevel: LogLevel;
  relayMode: RelayMode;
  persistentKeepaliveSeconds: number;
  mtu: number;
  stunServers: string[];
  expose: ExposeRule[];
}

export const DEFAULT_SETTINGS: AgentSettings = {
  logLevel: "info",
  relayMode: "auto",
  persistentKeepaliveSeconds: 20,
  mtu: 1420,
  stunServers: [],
  expose: [],
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
  // Start from the defaults, not from `base`: a key removed from the values
  // must fall back to its default rather than keep a stale override.
  const s: AgentSettings = { ...DEFAULT_SETTINGS, stunServers: [], expose: [] };

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
  return { settings: s, problems };
}
