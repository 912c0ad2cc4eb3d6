/**
 * Configuration of the runnable peer: one interface, one or more WireGuard peers.
 * Comes either from command-line flags or from a wg-quick style file; both end up here
 * so the rest of the code never sees where a setting came from.
 */
import { parseCidr, parseInterfaceAddress } from "../net/ipv4.ts";

export interface EndpointConfig {
  host: string;
  port: number;
}

export interface PeerEntry {
  /** Local label used in events and stats; defaults to peer1, peer2, ... */
  name: string;
  publicKey: string;
  presharedKey?: string;
  endpoint?: EndpointConfig;
  /** IPv4 prefixes only; the user-space stack does not speak IPv6. */
  allowedIps: string[];
  persistentKeepaliveSeconds?: number;
}

export interface PeerConfig {
  privateKey: string;
  /** 0 picks a free port. */
  listenPort: number;
  /** Tunnel address with prefix, e.g. "100.64.0.2/10". */
  address: string;
  mtu: number;
  peers: PeerEntry[];
  /** Extra tunnel-side UDP ports whose datagrams are reported on the control channel. */
  udpListen: number[];
  /** Tunnel TCP ports accepted and the local "host:port" each is carried to (as the agent's `expose`). */
  expose: { port: number; target: string }[];
}

export const DEFAULT_PEER_MTU = 1420;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A WireGuard key: base64 of exactly 32 bytes, in canonical form. */
export function checkKey(value: string, what: string): string {
  const v = value.trim();
  const raw = Buffer.from(v, "base64");
  if (v.length !== 44 || raw.length !== 32 || raw.toString("base64") !== v) {
    throw new ConfigError(`${what} must be a base64 WireGuard key (32 bytes), got "${redact(v)}"`);
  }
  return v;
}

/** Keys are secrets: error messages show only enough to recognise the value. */
function redact(v: string): string {
  return v.length <= 6 ? v : `${v.slice(0, 4)}...`;
}

export function parsePort(value: string, what: string, allowZero = false): number {
  const v = value.trim();
  const n = /^\d{1,5}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= (allowZero ? 0 : 1) && n <= 65535))
    throw new ConfigError(`${what} must be a port number, got "${v}"`);
  return n;
}

/** "host:port" or "[v6]:port". */
export function parseEndpoint(value: string): EndpointConfig {
  const v = value.trim();
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:[\]\s]+):(\d+)$/.exec(v);
  if (!m) throw new ConfigError(`endpoint must look like host:port, got "${v}"`);
  return { host: m[1]!, port: parsePort(m[2]!, "endpoint port") };
}

export function parseMtu(value: string): number {
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  // 576 keeps room for WireGuard's own overhead; 65535 is IPv4's ceiling.
  if (!(n >= 576 && n <= 65535)) throw new ConfigError(`MTU must be between 576 and 65535, got "${v}"`);
  return n;
}

export function parseKeepalive(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  if (v === "off") return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 0 && n <= 65535))
    throw new ConfigError(`PersistentKeepalive must be 0-65535 or "off", got "${v}"`);
  return n === 0 ? undefined : n;
}

/** Comma-separated prefixes; IPv6 entries are skipped because the tunnel carries IPv4 only. */
export function parseAllowedIps(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const p = part.trim();
    if (p === "" || p.includes(":")) continue;
    try {
      const c = parseCidr(p);
      out.push(`${p.split("/")[0]}/${c.prefixLength}`);
    } catch {
      throw new ConfigError(`AllowedIPs entry "${p}" is not an IPv4 prefix`);
    }
  }
  return out;
}

/** The first IPv4 address of a comma-separated Address list. */
export function parseAddress(value: string): string {
  for (const part of value.split(",")) {
    const p = part.trim();
    if (p === "" || p.includes(":")) continue;
    try {
      const { prefixLength } = parseInterfaceAddress(p);
      return `${p.split("/")[0]}/${prefixLength}`;
    } catch {
      throw new ConfigError(`Address "${p}" is not an IPv4 address with prefix`);
    }
  }
  throw new ConfigError(`Address "${value.trim()}" has no IPv4 address`);
}

/** Keys wg-quick understands but that configure the host, which a user-space peer has no use for. */
const HOST_ONLY_KEYS = new Set([
  "dns",
  "table",
  "preup",
  "postup",
  "predown",
  "postdown",
  "saveconfig",
  "fwmark",
]);

/**
 * Parses a wg-quick style file. Keys are case-insensitive, `#` starts a comment.
 * Any error names its line number so the file can be fixed without guessing.
 */
export function parseConfigFile(text: string): PeerConfig {
  let privateKey: string | undefined;
  let listenPort = 0;
  let address: string | undefined;
  let mtu = DEFAULT_PEER_MTU;
  const peers: PeerEntry[] = [];
  let section: "none" | "interface" | "peer" = "none";
  let current: Partial<PeerEntry> & { line?: number } = {};
  let sawInterface = false;

  const finishPeer = () => {
    if (section !== "peer") return;
    if (!current.publicKey) throw new ConfigError(`line ${current.line}: [Peer] has no PublicKey`);
    peers.push({
      name: `peer${peers.length + 1}`,
      publicKey: current.publicKey,
      allowedIps: current.allowedIps ?? [],
      ...(current.presharedKey ? { presharedKey: current.presharedKey } : {}),
      ...(current.endpoint ? { endpoint: current.endpoint } : {}),
      ...(current.persistentKeepaliveSeconds
        ? { persistentKeepaliveSeconds: current.persistentKeepaliveSeconds }
        : {}),
    });
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      finishPeer();
      const name = header[1]!.toLowerCase();
      if (name === "interface") {
        if (sawInterface) throw new ConfigError(`line ${lineNo}: a second [Interface] section`);
        sawInterface = true;
        section = "interface";
      } else if (name === "peer") {
        section = "peer";
        current = { line: lineNo };
      } else {
        throw new ConfigError(`line ${lineNo}: unknown section [${header[1]}]`);
      }
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new ConfigError(`line ${lineNo}: expected "Key = Value", got "${line}"`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    try {
      if (section === "none") throw new ConfigError(`"${line.slice(0, eq).trim()}" outside of any section`);
      if (section === "interface") {
        if (key === "privatekey") privateKey = checkKey(value, "PrivateKey");
        else if (key === "listenport") listenPort = parsePort(value, "ListenPort", true);
        else if (key === "address") address = parseAddress(value);
        else if (key === "mtu") mtu = parseMtu(value);
        else if (!HOST_ONLY_KEYS.has(key))
          throw new ConfigError(`unknown [Interface] key "${line.slice(0, eq).trim()}"`);
      } else {
        if (key === "publickey") current.publicKey = checkKey(value, "PublicKey");
        else if (key === "presharedkey") current.presharedKey = checkKey(value, "PresharedKey");
        else if (key === "endpoint") current.endpoint = parseEndpoint(value);
        else if (key === "allowedips")
          current.allowedIps = [...(current.allowedIps ?? []), ...parseAllowedIps(value)];
        else if (key === "persistentkeepalive") current.persistentKeepaliveSeconds = parseKeepalive(value);
        else throw new ConfigError(`unknown [Peer] key "${line.slice(0, eq).trim()}"`);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`line ${lineNo}: ${err.message}`);
      throw err;
    }
  }
  finishPeer();
  if (!sawInterface) throw new ConfigError("no [Interface] section");
  if (!privateKey) throw new ConfigError("[Interface] has no PrivateKey");
  if (!address) throw new ConfigError("[Interface] has no Address");
  return { privateKey, listenPort, address, mtu, peers, udpListen: [], expose: [] };
}
