/**
 * The user-space TCP under each link condition of issue 21 (test/helpers/impaired-link.ts:
 * clean, 1% loss, 5% loss with 25% reordering and 5 ms delay, 50 ms each way with 1% loss),
 * with Linux through wireguard-go at the far end: a short transfer each way, byte-exact.
 * Also the gVisor netstack peer (test/tools/gvisor-peer) the bench compares against, so a
 * broken tool fails here rather than in a bench run. `npm run bench -- tcp-impaired` measures.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { goTool, goToolBin } from "../helpers/go-tools.ts";
import {
  type ImpairedPeer,
  LINK_CONDITIONS,
  type PeerStack,
  startImpairedPeer,
} from "../helpers/impaired-link.ts";
import { JsonLinesChild } from "../helpers/json-lines.ts";
import { stopChild } from "../helpers/netns.ts";
import { streamSha256 } from "../helpers/tcp-stream.ts";
import { wgKeyPair } from "../helpers/topology.ts";

const MB = 1024 * 1024;
const BYTES = Number(process.env.TETHER_IMPAIRED_TEST_MB ?? 1) * MB;
let peer: ImpairedPeer | undefined;

afterEach(async () => {
  await peer?.teardown();
  peer = undefined;
});

async function bothWays(stack: PeerStack, condIndex: number): Promise<string> {
  const cond = LINK_CONDITIONS[condIndex]!;
  peer = await startImpairedPeer(stack, cond);
  const seed = `${stack}-${condIndex}`;
  const down = await peer.transfer("recv", BYTES, `${seed}-down`, 180_000);
  expect(down.bytes).toBe(BYTES);
  expect(down.sha256).toBe(streamSha256(`${seed}-down`, BYTES));
  const up = await peer.transfer("send", BYTES, `${seed}-up`, 180_000);
  expect(up.answer).toBe(`${BYTES} ${streamSha256(`${seed}-up`, BYTES)}`);
  // The impairing proxy prints its counters once a second; a fast transfer can end before the first.
  let link = peer.linkCounters();
  for (let i = 0; i < 30 && cond.loss > 0 && !(Number(link?.dropped) > 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
    link = peer.linkCounters();
  }
  if (cond.loss > 0) expect(Number(link?.dropped)).toBeGreaterThan(0);
  return `${stack} ${cond.name}: sends ${(BYTES / MB / down.seconds).toFixed(2)} MB/s, receives ${(BYTES / MB / up.seconds).toFixed(2)} MB/s; link ${JSON.stringify(link)}`;
}

describe("our TCP stack, byte-exact both ways under each link condition", () => {
  for (const [i, cond] of LINK_CONDITIONS.entries()) {
    it(`${cond.name}`, async () => {
      console.log(await bothWays("ours", i));
    }, 400_000);
  }
});

describe("the gVisor netstack peer (test/tools/gvisor-peer)", () => {
  it("builds and serves its sink and source byte-exact on a lossy link", async () => {
    goToolBin("gvisor-peer");
    console.log(await bothWays("gvisor", 1));
  }, 600_000);

  it("its bulk client sends to and receives from another gVisor peer over loopback UDP", async () => {
    const bin = goTool("gvisor-peer", "gvisor-peer");
    const dir = mkdtempSync(join(tmpdir(), "tt-gvisor-"));
    const a = wgKeyPair();
    const b = wgKeyPair();
    // Free TCP ports; the same numbers are all but certainly free for UDP on loopback too.
    const [portA, portB] = [await freePort(), await freePort()];
    const conf = (name: string, lines: string[]) => {
      const f = join(dir, name);
      writeFileSync(f, `${lines.join("\n")}\n`, { mode: 0o600 });
      return f;
    };
    const confA = conf("a.conf", [
      `private-key ${a.privateKey}`,
      `peer-public-key ${b.publicKey}`,
      `listen-port ${portA}`,
      "address 100.65.0.1",
      "allowed-ip 100.65.0.2/32",
    ]);
    const confB = conf("b.conf", [
      `private-key ${b.privateKey}`,
      `peer-public-key ${a.publicKey}`,
      `listen-port ${portB}`,
      "address 100.65.0.2",
      "allowed-ip 100.65.0.1/32",
      `endpoint 127.0.0.1:${portA}`,
    ]);
    const server = new JsonLinesChild(spawn(bin, ["serve", confA, "7000", "7001"], { stdio: "pipe" }));
    try {
      await server.waitFor((o) => o.event === "ready", "gvisor-peer serve", 30_000);
      const run = async (mode: string, port: number, seed: string) => {
        const { stdout } = await promisify(execFile)(
          bin,
          ["client", confB, mode, `100.65.0.1:${port}`, String(BYTES), seed],
          { timeout: 120_000 },
        );
        return JSON.parse(stdout.trim()) as { bytes: number; sha256?: string; answer?: string };
      };
      const up = await run("send", 7000, "gv-up");
      expect(up.answer).toBe(`${BYTES} ${streamSha256("gv-up", BYTES)}`);
      const down = await run("recv", 7001, "gv-down");
      expect(down).toMatchObject({ bytes: BYTES, sha256: streamSha256("gv-down", BYTES) });
      // Bad input gets a clear error, not a hang.
      const bad = await promisify(execFile)(bin, [
        "client",
        confB,
        "upload",
        "100.65.0.1:7000",
        "1",
        "x",
      ]).catch((e: { stderr: string; code: number }) => e);
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toContain("usage: gvisor-peer client CONFIG send|recv");
    } finally {
      await stopChild(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
