/**
 * The interop topology: namespace "wg" runs wireguard-go with a kernel-facing
 * interface (Linux's own IP/ICMP/UDP on top), namespace "ts" runs the TypeScript
 * peer. A veth pair (10.77.0.1 <-> 10.77.0.2) joins them; the tunnel is 100.64.0.0/24.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonLinesChild } from "./json-lines.ts";
import { type Netns, NetnsLab, pollUntil, stopChild } from "./netns.ts";

export const WG_UNDERLAY = "10.77.0.1";
export const TS_UNDERLAY = "10.77.0.2";
export const WG_TUNNEL = "100.64.0.1";
export const TS_TUNNEL = "100.64.0.2";
export const WG_PORT = 51820;
export const TS_PORT = 51821;
export const MTU = 1420;
export const REPO_ROOT = new URL("../..", import.meta.url).pathname;

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** Keys come from `wg` itself, so the TS side is checked against an independent X25519. */
export function wgKeyPair(): KeyPair {
  const privateKey = execFileSync("wg", ["genkey"], { encoding: "utf8" }).trim();
  const publicKey = execFileSync("wg", ["pubkey"], { input: privateKey, encoding: "utf8" }).trim();
  return { privateKey, publicKey };
}

export function wgPsk(): string {
  return execFileSync("wg", ["genpsk"], { encoding: "utf8" }).trim();
}

export interface TopologyOptions {
  /** PSK configured on the wireguard-go side. */
  wgPsk?: string;
  /** PSK configured on the TS side. */
  tsPsk?: string;
  /** Whether wireguard-go knows the TS peer's endpoint (else it must learn it from a handshake). */
  wgKnowsEndpoint: boolean;
  /** Whether the TS peer knows wireguard-go's endpoint. */
  tsKnowsEndpoint: boolean;
  /** Public key the TS peer believes wireguard-go has (to test a wrong key); defaults to the right one. */
  tsPeerPublicKey?: string;
  /** Extra tunnel UDP ports the TS peer reports on its control channel. */
  tsUdpListen?: number[];
  /** Port wireguard-go sends to on the TS underlay address (default TS_PORT; e.g. an impairing proxy). */
  wgEndpointPort?: number;
  /** `--expose PORT=HOST:PORT` rules for the TS peer (targets are inside its namespace). */
  tsExpose?: string[];
}

export interface Topology {
  lab: NetnsLab;
  wgNs: Netns;
  tsNs: Netns;
  wgIf: string;
  /** The veth ends in the wg and ts namespaces (for tc netem). */
  veth: { wg: string; ts: string };
  wgKeys: KeyPair;
  tsKeys: KeyPair;
  ts: JsonLinesChild;
  /** Unix seconds of wireguard-go's last handshake with the TS peer (0 = never). */
  wgLatestHandshake(): Promise<number>;
  /** Starts the UDP tool inside the wg namespace. */
  startUdpTool(): JsonLinesChild;
  /** Stops wireguard-go (its interface and sessions go with it) and starts a fresh one, configured the same. */
  restartWireguardGo(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * Starts wireguard-go in the foreground inside `ns` for a new interface `ifname`
 * (its UAPI socket in /var/run/wireguard is removed on the lab's cleanup, which
 * also kills the process) and resolves once `wg show` sees the interface.
 * Configuring it (`wg set`, addresses, MTU, up) is left to the caller.
 */
export async function startWireguardGo(lab: NetnsLab, ns: Netns, ifname: string): Promise<ChildProcess> {
  lab.removeOnCleanup(`/var/run/wireguard/${ifname}.sock`);
  const proc = ns.spawn("wireguard-go", [ifname], {
    env: { ...process.env, WG_PROCESS_FOREGROUND: "1", LOG_LEVEL: "error" },
  });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  proc.stdout?.resume();
  await pollUntil(
    `wireguard-go interface ${ifname}`,
    async () =>
      (await ns.exec("wg", ["show", ifname])).code === 0 || (proc.exitCode !== null ? undefined : false),
    { tries: 100, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; wireguard-go stderr: ${stderr}`);
  });
  return proc;
}

export async function buildTopology(opts: TopologyOptions): Promise<Topology> {
  const lab = new NetnsLab();
  const keyDir = mkdtempSync(join(tmpdir(), "tt-keys-"));
  try {
    const wgNs = await lab.createNamespace("wg");
    const tsNs = await lab.createNamespace("ts");
    const link = await lab.connect(wgNs, `${WG_UNDERLAY}/24`, tsNs, `${TS_UNDERLAY}/24`);

    const wgKeys = wgKeyPair();
    const tsKeys = wgKeyPair();
    const wgIf = lab.ifname("wgt");
    let wgProc = await startWireguardGo(lab, wgNs, wgIf);

    const privFile = join(keyDir, "wg.key");
    writeFileSync(privFile, `${wgKeys.privateKey}\n`, { mode: 0o600 });
    const setArgs = [
      "set",
      wgIf,
      "private-key",
      privFile,
      "listen-port",
      String(WG_PORT),
      "peer",
      tsKeys.publicKey,
      "allowed-ips",
      `${TS_TUNNEL}/32`,
    ];
    if (opts.wgPsk) {
      const pskFile = join(keyDir, "wg.psk");
      writeFileSync(pskFile, `${opts.wgPsk}\n`, { mode: 0o600 });
      setArgs.push("preshared-key", pskFile);
    }
    if (opts.wgKnowsEndpoint) setArgs.push("endpoint", `${TS_UNDERLAY}:${opts.wgEndpointPort ?? TS_PORT}`);
    const configureWg = async () => {
      await wgNs.run("wg", setArgs);
      await wgNs.run("ip", ["addr", "add", `${WG_TUNNEL}/24`, "dev", wgIf]);
      await wgNs.run("ip", ["link", "set", wgIf, "mtu", String(MTU), "up"]);
    };
    await configureWg();

    // The TS peer reads a wg-quick file (mode 0600) so no private key shows up in argv.
    const tsConf = [
      "[Interface]",
      `PrivateKey = ${tsKeys.privateKey}`,
      `ListenPort = ${TS_PORT}`,
      `Address = ${TS_TUNNEL}/24`,
      `MTU = ${MTU}`,
      "",
      "[Peer]",
      `PublicKey = ${opts.tsPeerPublicKey ?? wgKeys.publicKey}`,
      `AllowedIPs = ${WG_TUNNEL}/32`,
      ...(opts.tsPsk ? [`PresharedKey = ${opts.tsPsk}`] : []),
      ...(opts.tsKnowsEndpoint ? [`Endpoint = ${WG_UNDERLAY}:${WG_PORT}`] : []),
      "",
    ].join("\n");
    const tsConfFile = join(keyDir, "ts.conf");
    writeFileSync(tsConfFile, tsConf, { mode: 0o600 });
    const tsArgs = ["--import", "tsx", "agent/peer/main.ts", "--config", tsConfFile];
    for (const p of opts.tsUdpListen ?? []) tsArgs.push("--udp-listen", String(p));
    for (const e of opts.tsExpose ?? []) tsArgs.push("--expose", e);
    const ts = new JsonLinesChild(tsNs.spawn("node", tsArgs, { cwd: REPO_ROOT }));
    const ready = await ts.waitFor((o) => o.event === "ready", "TS peer ready", 60_000);
    if (ready.publicKey !== tsKeys.publicKey) {
      throw new Error(`TS peer derived public key ${String(ready.publicKey)}, wg says ${tsKeys.publicKey}`);
    }

    return {
      lab,
      wgNs,
      tsNs,
      wgIf,
      veth: { wg: link.ifA, ts: link.ifB },
      wgKeys,
      tsKeys,
      ts,
      async wgLatestHandshake() {
        const out = await wgNs.run("wg", ["show", wgIf, "latest-handshakes"]);
        const line = out.split("\n").find((l) => l.startsWith(tsKeys.publicKey));
        return line ? Number(line.split("\t")[1]) : 0;
      },
      startUdpTool() {
        return new JsonLinesChild(
          wgNs.spawn("node", ["--import", "tsx", "test/system/udp-tool.ts"], { cwd: REPO_ROOT }),
        );
      },
      async restartWireguardGo() {
        await stopChild(wgProc);
        await pollUntil(
          `wireguard-go interface ${wgIf} gone`,
          async () => (await wgNs.exec("wg", ["show", wgIf])).code !== 0,
          { tries: 100, intervalMs: 100 },
        );
        wgProc = await startWireguardGo(lab, wgNs, wgIf);
        await configureWg();
      },
      async teardown() {
        rmSync(keyDir, { recursive: true, force: true });
        await lab.cleanup();
      },
    };
  } catch (err) {
    rmSync(keyDir, { recursive: true, force: true });
    await lab.cleanup();
    throw err;
  }
}

/** Runs ping in the wg namespace and returns how many replies came back. */
export async function pingFromWg(t: Topology, count: number, intervalSeconds = 0.2): Promise<number> {
  const r = await t.wgNs.exec(
    "ping",
    ["-c", String(count), "-i", String(intervalSeconds), "-W", "2", "-n", TS_TUNNEL],
    (count * intervalSeconds + 30) * 1000,
  );
  const m = /(\d+) received/.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}
