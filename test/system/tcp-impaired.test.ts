/**
 * The user-space TCP under each link condition of issue 21 (test/system/impaired-link.ts:
 * clean, 1% loss, 5% loss with 25% reordering and 5 ms delay, 50 ms each way with 1% loss),
 * with Linux through wireguard-go at the far end: a short transfer each way, byte-exact.
 * Also the gVisor netstack peer (test/tools/gvisor-peer) the bench compares against, so a
 * broken tool fails here rather than in a bench run. `npm run bench -- tcp-impaired` measures.
 */
import { afterEach, describe, expect, it } from "vitest";
import { goToolBin } from "../helpers/go-tools.ts";
import { type ImpairedPeer, LINK_CONDITIONS, type PeerStack, startImpairedPeer } from "./impaired-link.ts";
import { streamSha256 } from "./tcp-stream.ts";

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
  const link = peer.linkCounters();
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
});
