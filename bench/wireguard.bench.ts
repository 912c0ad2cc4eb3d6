/**
 * WireGuard core throughput, side by side in one process:
 *   - transport: 1420-byte packets encapsulated by Device A and decapsulated by
 *     Device B (node:crypto backend), against bare node:crypto
 *     ChaCha20-Poly1305 seal+open calls on the same payload (the baseline);
 *     the noble backend through the same Devices is shown beside it;
 *   - handshakes: full initiation + response processed on both sides.
 * Rounds alternate between contenders so machine noise hits them alike;
 * medians are reported, and ratios are paired per round.
 *
 *   node --import tsx bench/wireguard.bench.ts
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Action, CryptoBackend, Endpoint } from "../agent/wireguard/index.ts";
import {
  createNobleBackend,
  createNodeCryptoBackend,
  Device,
  generatePrivateKey,
} from "../agent/wireguard/index.ts";
import { interleavedRounds, median, pairedRatio } from "./interleaved-rounds.ts";

const PACKET_BYTES = 1420;
const ROUNDS = 7;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);

const A: Endpoint = { host: "127.0.0.1", port: 1 };
const B: Endpoint = { host: "127.0.0.1", port: 2 };

function ipv4(length: number): Uint8Array {
  const p = new Uint8Array(randomBytes(length));
  p[0] = 0x45;
  p[2] = length >>> 8;
  p[3] = length & 0xff;
  p.set([10, 0, 0, 1], 12);
  p.set([10, 0, 0, 2], 16);
  return p;
}

function devices(crypto: CryptoBackend) {
  const a = new Device({ privateKey: generatePrivateKey(), crypto, underLoad: () => false });
  const b = new Device({ privateKey: generatePrivateKey(), crypto, underLoad: () => false });
  a.addPeer({ name: "b", publicKey: b.publicKey, endpoint: B, allowedIps: ["10.0.0.2/32"] });
  b.addPeer({ name: "a", publicKey: a.publicKey, endpoint: A, allowedIps: ["10.0.0.1/32"] });
  return { a, b };
}

function sendOf(actions: Action[]): Uint8Array {
  for (const x of actions) if (x.type === "send") return x.data;
  throw new Error(`expected a send, got ${JSON.stringify(actions.map((x) => x.type))}`);
}

function transportStep(crypto: CryptoBackend): () => void {
  const { a, b } = devices(crypto);
  const packet = ipv4(PACKET_BYTES);
  // Establish the session (the first packet rides the handshake).
  const init = sendOf(a.encapsulate(packet, 0));
  const resp = sendOf(b.decapsulate(init, A, 0));
  for (const x of a.decapsulate(resp, B, 0)) if (x.type === "send") b.decapsulate(x.data, A, 0);
  return () => {
    const out = a.encapsulate(packet, 1);
    const got = b.decapsulate((out[0] as { data: Uint8Array }).data, A, 1);
    if (got[0]?.type !== "deliver") throw new Error(`not delivered: ${JSON.stringify(got)}`);
  };
}

function bareNodeCryptoStep(): () => void {
  const key = randomBytes(32);
  const nonce = Buffer.alloc(12);
  const payload = ipv4(PACKET_BYTES);
  let counter = 0;
  return () => {
    nonce.writeUInt32LE(counter++, 4);
    const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    const body = c.update(payload);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    d.setAuthTag(tag);
    d.update(body);
    d.final();
  };
}

function handshakeStep(crypto: CryptoBackend): () => void {
  const { a, b } = devices(crypto);
  // Initiations are rate-limited to one per REKEY_TIMEOUT and 20 ms per peer: move the fake clock on.
  let now = 0;
  return () => {
    now += 5_001;
    const init = sendOf(a.initiateHandshake("b", now));
    const resp = sendOf(b.decapsulate(init, A, now));
    const done = a.decapsulate(resp, B, now);
    if (done[0]?.type !== "handshake-complete") throw new Error(`handshake failed: ${JSON.stringify(done)}`);
  };
}

const node = createNodeCryptoBackend();
const noble = createNobleBackend();
const contenders: Record<string, () => void> = {
  "bare node:crypto seal+open": bareNodeCryptoStep(),
  "Device A->B, node-crypto": transportStep(node),
  "Device A->B, noble": transportStep(noble),
  "handshakes, node-crypto": handshakeStep(node),
  "handshakes, noble": handshakeStep(noble),
};
const samples = interleavedRounds(contenders, ROUNDS, (name) =>
  name.includes("noble") ? ROUND_MS / 2 : ROUND_MS,
);
const med = (name: string) => median(samples[name]!);

const BARE = "bare node:crypto seal+open";
const bare = med(BARE);
const viaNode = med("Device A->B, node-crypto");
const viaNoble = med("Device A->B, noble");
const hsNode = med("handshakes, node-crypto");
const hsNoble = med("handshakes, noble");
const nodeRatio = pairedRatio(samples, "Device A->B, node-crypto", BARE);
const nobleRatio = pairedRatio(samples, "Device A->B, noble", BARE);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10);
const mbit = (pps: number) => `${((pps * PACKET_BYTES * 8) / 1e6).toFixed(0).padStart(6)} Mbit/s`;

console.log(`WireGuard core, ${PACKET_BYTES}-byte packets, median of ${ROUNDS} interleaved rounds, one core`);
console.log("what                              packets/s     payload         vs bare node:crypto");
console.log(`bare node:crypto seal+open     ${fmt(bare)}   ${mbit(bare)}   1.00 (baseline)`);
console.log(
  `Device A->B, node-crypto       ${fmt(viaNode)}   ${mbit(viaNode)}   ${nodeRatio.toFixed(2)}  (target >= 0.80)`,
);
console.log(`Device A->B, noble             ${fmt(viaNoble)}   ${mbit(viaNoble)}   ${nobleRatio.toFixed(2)}`);
console.log("");
console.log("what                              handshakes/s  vs target 2,000");
console.log(`full handshake, node-crypto    ${fmt(hsNode)}      ${(hsNode / 2000).toFixed(2)}`);
console.log(`full handshake, noble          ${fmt(hsNoble)}      ${(hsNoble / 2000).toFixed(2)}`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    packetBytes: PACKET_BYTES,
    bareNodeCryptoPps: Math.round(bare),
    deviceNodeCryptoPps: Math.round(viaNode),
    deviceNoblePps: Math.round(viaNoble),
    transportRatio: Number(nodeRatio.toFixed(3)),
    nobleTransportRatio: Number(nobleRatio.toFixed(3)),
    handshakesPerSecondNodeCrypto: Math.round(hsNode),
    handshakesPerSecondNoble: Math.round(hsNoble),
  })}`,
);
