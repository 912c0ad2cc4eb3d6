/**
 * Command-line flags of the runnable peer. Either a wg-quick file (--config) or
 * the same settings as flags for a single peer; --udp-listen works with both.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  ConfigError,
  checkKey,
  DEFAULT_PEER_MTU,
  type PeerConfig,
  type PeerEntry,
  parseAddress,
  parseAllowedIps,
  parseConfigFile,
  parseEndpoint,
  parseKeepalive,
  parseMtu,
  parsePort,
} from "./config.ts";

export const USAGE = `usage: node --import tsx agent/peer/main.ts
  --config FILE                   wg-quick style file ([Interface] + [Peer] sections)
  or:
  --private-key B64 --address 100.64.0.2/10 [--listen-port N] [--mtu 1420]
  --peer-public-key B64 --allowed-ips 100.64.0.1/32[,...] [--peer-endpoint host:port]
  [--psk B64] [--keepalive SECONDS]
  and with either:
  --udp-listen PORT               report datagrams to this tunnel UDP port (repeatable)
  --expose PORT=HOST:PORT         accept tunnel TCP on PORT and carry it to HOST:PORT (repeatable)
  --listen-port N                 with --config: overrides ListenPort`;

const INLINE_ONLY = [
  "private-key",
  "address",
  "mtu",
  "peer-public-key",
  "allowed-ips",
  "peer-endpoint",
  "psk",
  "keepalive",
] as const;

export function parsePeerArgs(argv: string[], readFile: (path: string) => string = readUtf8): PeerConfig {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const v = parsed.values;
  const udpListen = (v["udp-listen"] ?? []).map((p) => parsePort(p, "--udp-listen"));
  const expose = (v.expose ?? []).map(parseExpose);

  if (v.config !== undefined) {
    const stray = INLINE_ONLY.filter((k) => v[k] !== undefined);
    if (stray.length > 0) throw new ConfigError(`--config cannot be combined with --${stray.join(", --")}`);
    let text: string;
    try {
      text = readFile(v.config);
    } catch (err) {
      throw new ConfigError(`cannot read ${v.config}: ${(err as Error).message}`);
    }
    let config: PeerConfig;
    try {
      config = parseConfigFile(text);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${v.config}: ${err.message}`);
      throw err;
    }
    if (v["listen-port"] !== undefined)
      config.listenPort = parsePort(v["listen-port"], "--listen-port", true);
    config.udpListen = udpListen;
    config.expose = expose;
    return config;
  }

  const required = (name: "private-key" | "address" | "peer-public-key" | "allowed-ips"): string => {
    const value = v[name];
    if (value === undefined) throw new ConfigError(`missing --${name} (or use --config FILE)`);
    return value;
  };
  const privateKey = checkKey(required("private-key"), "--private-key");
  const address = parseAddress(required("address"));
  const peer: PeerEntry = {
    name: "peer1",
    publicKey: checkKey(required("peer-public-key"), "--peer-public-key"),
    allowedIps: parseAllowedIps(required("allowed-ips")),
  };
  if (v.psk !== undefined) peer.presharedKey = checkKey(v.psk, "--psk");
  if (v["peer-endpoint"] !== undefined) peer.endpoint = parseEndpoint(v["peer-endpoint"]);
  if (v.keepalive !== undefined) {
    const k = parseKeepalive(v.keepalive);
    if (k !== undefined) peer.persistentKeepaliveSeconds = k;
  }
  return {
    privateKey,
    listenPort: v["listen-port"] === undefined ? 0 : parsePort(v["listen-port"], "--listen-port", true),
    address,
    mtu: v.mtu === undefined ? DEFAULT_PEER_MTU : parseMtu(v.mtu),
    peers: [peer],
    udpListen,
    expose,
  };
}

function parseExpose(s: string): { port: number; target: string } {
  const m = /^(\d{1,5})=(.+):(\d{1,5})$/.exec(s);
  if (!m) throw new ConfigError(`--expose ${s}: expected PORT=HOST:PORT`);
  const port = parsePort(m[1]!, "--expose");
  parsePort(m[3]!, "--expose target");
  return { port, target: `${m[2]}:${m[3]}` };
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: "string" },
      "private-key": { type: "string" },
      "listen-port": { type: "string" },
      address: { type: "string" },
      mtu: { type: "string" },
      "peer-public-key": { type: "string" },
      "peer-endpoint": { type: "string" },
      "allowed-ips": { type: "string" },
      psk: { type: "string" },
      keepalive: { type: "string" },
      "udp-listen": { type: "string", multiple: true },
      expose: { type: "string", multiple: true },
    },
  });
}

function readUtf8(path: string): string {
  return readFileSync(path, "utf8");
}
