/**
 * One peer behind an impaired link, for comparing TCP stacks on the same link model and bytes.
 *
 * Namespace "wg" runs wireguard-go with a kernel interface (Linux's TCP is always the far end,
 * the client of tcp-client.ts); namespace "peer" runs the stack under test:
 *   ours:   the TypeScript peer (agent/peer/main.ts) with sink/source behind `--expose`;
 *   linux:  a second wireguard-go with sink/source on its kernel interface;
 *   gvisor: test/tools/gvisor-peer, wireguard-go on gVisor's netstack, serving sink/source itself.
 * Between them, udp-impair.ts (netem's model in user space: this kernel has no sch_netem) sits in
 * front of the peer's WireGuard port, so every stack sees the same loss, delay and reordering.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goTool } from "./go-tools.ts";
import { JsonLinesChild } from "./json-lines.ts";
import { type Netns, NetnsLab, pollUntil } from "./netns.ts";
import { SINK_PORT, SOURCE_PORT } from "./tcp-services.ts";
import { MTU, REPO_ROOT, startWireguardGo, wgKeyPair } from "./topology.ts";

/** "baseline": our peer from another checkout (TETHER_IMPAIRED_BASELINE), for before/after in one run. */
export type PeerStack = "ours" | "baseline" | "linux" | "gvisor";

export interface LinkCondition {
  readonly name: string;
  /** Probability each datagram (either direction) is dropped. */
  readonly loss: number;
  /** Probability a datagram skips the delay (and so overtakes delayed ones). */
  readonly reorder: number;
  /** One-way delay in ms for datagrams not reordered. */
  readonly delayMs: number;
}

/** The four conditions of issue 21. */
export const LINK_CONDITIONS: readonly LinkCondition[] = [
  { name: "clean", loss: 0, reorder: 0, delayMs: 0 },
  { name: "loss 1%", loss: 0.01, reorder: 0, delayMs: 0 },
  { name: "loss 5% reorder 25% delay 5ms", loss: 0.05, reorder: 0.25, delayMs: 5 },
  { name: "delay 50ms each way loss 1%", loss: 0.01, reorder: 0, delayMs: 50 },
];

const WG_UNDERLAY = "10.77.0.1";
const PEER_UNDERLAY = "10.77.0.2";
const WG_TUNNEL = "100.64.0.1";
export const PEER_TUNNEL = "100.64.0.2";
const WG_PORT = 51820;
const PEER_PORT = 51821;
const IMPAIR_PORT = 51999;
/** Ports the client dials on PEER_TUNNEL, whatever the stack. */
export const PEER_SINK = 7000;
export const PEER_SOURCE = 7001;

export interface TransferResult {
  bytes: number;
  seconds: number;
  sha256?: string;
  answer?: string;
}

export interface ImpairedPeer {
  readonly stack: PeerStack;
  readonly wgNs: Netns;
  /** The peer process (for its RSS); for linux, the wireguard-go process. */
  readonly peerPid: number;
  /** Runs test/system/tcp-client.ts in the wg namespace against the peer's sink (send) or source (recv). */
  transfer(mode: "send" | "recv", bytes: number, seed: string, timeoutMs: number): Promise<TransferResult>;
  /** Datagram counters of the impairing proxy, as it last printed them. */
  linkCounters(): Record<string, unknown> | undefined;
  teardown(): Promise<void>;
}

/** `oursRoot`: the checkout whose agent/peer/main.ts runs for "ours"/"baseline" (default this one). */
export async function startImpairedPeer(
  stack: PeerStack,
  cond: LinkCondition,
  oursRoot = REPO_ROOT,
): Promise<ImpairedPeer> {
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), "tt-impair-"));
  try {
    const wgNs = await lab.createNamespace("wg");
    const peerNs = await lab.createNamespace("peer");
    await lab.connect(wgNs, `${WG_UNDERLAY}/24`, peerNs, `${PEER_UNDERLAY}/24`);
    const wgKeys = wgKeyPair();
    const peerKeys = wgKeyPair();

    const wgIf = lab.ifname("wgt");
    await startWireguardGo(lab, wgNs, wgIf);
    const wgKeyFile = join(dir, "wg.key");
    writeFileSync(wgKeyFile, `${wgKeys.privateKey}\n`, { mode: 0o600 });
    await wgNs.run("wg", [
      "set",
      wgIf,
      "private-key",
      wgKeyFile,
      "listen-port",
      String(WG_PORT),
      "peer",
      peerKeys.publicKey,
      "allowed-ips",
      `${PEER_TUNNEL}/32`,
      "endpoint",
      `${PEER_UNDERLAY}:${IMPAIR_PORT}`,
    ]);
    await wgNs.run("ip", ["addr", "add", `${WG_TUNNEL}/24`, "dev", wgIf]);
    await wgNs.run("ip", ["link", "set", wgIf, "mtu", String(MTU), "up"]);

    const impair = new JsonLinesChild(
      peerNs.spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "test/system/udp-impair.ts",
          PEER_UNDERLAY,
          String(IMPAIR_PORT),
          "127.0.0.1",
          String(PEER_PORT),
          String(cond.loss),
          String(cond.reorder),
          String(cond.delayMs),
        ],
        { cwd: REPO_ROOT },
      ),
    );
    await impair.waitFor((o) => o.event === "ready", "impairing proxy", 30_000);

    let peerPid: number;
    if (stack === "ours" || stack === "baseline") {
      const conf = join(dir, "peer.conf");
      writeFileSync(
        conf,
        [
          "[Interface]",
          `PrivateKey = ${peerKeys.privateKey}`,
          `ListenPort = ${PEER_PORT}`,
          `Address = ${PEER_TUNNEL}/24`,
          `MTU = ${MTU}`,
          "",
          "[Peer]",
          `PublicKey = ${wgKeys.publicKey}`,
          `AllowedIPs = ${WG_TUNNEL}/32`,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      const services = new JsonLinesChild(
        peerNs.spawn(process.execPath, ["--import", "tsx", "test/system/tcp-target.ts"], { cwd: REPO_ROOT }),
      );
      await services.waitFor((o) => o.event === "ready", "services behind the expose", 30_000);
      const args = ["--import", "tsx", "agent/peer/main.ts", "--config", conf];
      args.push("--expose", `${PEER_SINK}=127.0.0.1:${SINK_PORT}`);
      args.push("--expose", `${PEER_SOURCE}=127.0.0.1:${SOURCE_PORT}`);
      const peer = new JsonLinesChild(peerNs.spawn(process.execPath, args, { cwd: oursRoot }));
      await peer.waitFor((o) => o.event === "ready", "TS peer ready", 60_000);
      peerPid = peer.child.pid ?? 0;
    } else if (stack === "linux") {
      const peerIf = lab.ifname("wgp");
      const proc = await startWireguardGo(lab, peerNs, peerIf);
      const keyFile = join(dir, "peer.key");
      writeFileSync(keyFile, `${peerKeys.privateKey}\n`, { mode: 0o600 });
      await peerNs.run("wg", [
        "set",
        peerIf,
        "private-key",
        keyFile,
        "listen-port",
        String(PEER_PORT),
        "peer",
        wgKeys.publicKey,
        "allowed-ips",
        `${WG_TUNNEL}/32`,
      ]);
      await peerNs.run("ip", ["addr", "add", `${PEER_TUNNEL}/24`, "dev", peerIf]);
      await peerNs.run("ip", ["link", "set", peerIf, "mtu", String(MTU), "up"]);
      const services = new JsonLinesChild(
        peerNs.spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            "test/system/tcp-target.ts",
            PEER_TUNNEL,
            String(PEER_SINK),
            String(PEER_SOURCE),
          ],
          { cwd: REPO_ROOT },
        ),
      );
      await services.waitFor((o) => o.event === "ready", "services on the kernel interface", 30_000);
      peerPid = proc.pid ?? 0;
    } else {
      const conf = join(dir, "gvisor.conf");
      writeFileSync(
        conf,
        [
          `private-key ${peerKeys.privateKey}`,
          `peer-public-key ${wgKeys.publicKey}`,
          `listen-port ${PEER_PORT}`,
          `address ${PEER_TUNNEL}`,
          `allowed-ip ${WG_TUNNEL}/32`,
          `mtu ${MTU}`,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      const bin = goTool("gvisor-peer", "gvisor-peer");
      const peer = new JsonLinesChild(
        peerNs.spawn(bin, ["serve", conf, String(PEER_SINK), String(PEER_SOURCE)], { cwd: REPO_ROOT }),
      );
      await peer.waitFor((o) => o.event === "ready", "gVisor peer ready", 30_000);
      peerPid = peer.child.pid ?? 0;
    }

    // The first handshake crosses the impaired link too; retry until the tunnel answers.
    await pollUntil(
      `tunnel to the ${stack} peer`,
      async () => (await wgNs.exec("ping", ["-c", "1", "-W", "1", "-n", PEER_TUNNEL], 5_000)).code === 0,
      { tries: 30, intervalMs: 200 },
    );

    return {
      stack,
      wgNs,
      peerPid,
      async transfer(mode, bytes, seed, timeoutMs) {
        const port = mode === "send" ? PEER_SINK : PEER_SOURCE;
        const r = await wgNs.exec(
          process.execPath,
          [
            "--import",
            "tsx",
            `${REPO_ROOT}/test/system/tcp-client.ts`,
            mode,
            PEER_TUNNEL,
            String(port),
            String(bytes),
            seed,
          ],
          timeoutMs,
        );
        const line = r.stdout.trim().split("\n").at(-1) ?? "";
        if (r.code !== 0)
          throw new Error(`tcp-client ${mode} to ${stack} failed (${r.code}): ${line} ${r.stderr}`);
        return JSON.parse(line) as TransferResult;
      },
      linkCounters() {
        const last = impair.received.filter((o) => o.event === "counters").at(-1);
        return last as Record<string, unknown> | undefined;
      },
      async teardown() {
        rmSync(dir, { recursive: true, force: true });
        await lab.cleanup();
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await lab.cleanup();
    throw err;
  }
}
