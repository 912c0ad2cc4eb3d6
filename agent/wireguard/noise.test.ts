import { describe, expect, it } from "vitest";
import { hex, loadVector, toHex } from "../../test/wireguard/vectors.ts";
import type { CryptoBackend } from "./crypto/backend.ts";
import { createNobleBackend } from "./crypto/noble.ts";
import { createNodeCryptoBackend } from "./crypto/node-crypto.ts";
import {
  type InitiatorHandshake,
  initialState,
  initiationLength,
  type ResponderHandshake,
  readInitiation,
  readResponse,
  responseLength,
  type TransportKeys,
  writeInitiation,
  writeResponse,
} from "./noise.ts";

interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_psks: string[];
  init_static: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_prologue: string;
  resp_psks: string[];
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}
const v = (loadVector("noise-ikpsk2.json") as { vector: NoiseVector }).vector;
const name = new TextEncoder().encode(v.protocol_name);

function must<T extends object>(r: T | string): T {
  if (typeof r === "string") throw new Error(`noise failed: ${r}`);
  return r;
}

function runHandshake(crypto: CryptoBackend) {
  const initStatic = hex(v.init_static);
  const respStatic = hex(v.resp_static);
  const respPublic = crypto.x25519PublicKey(respStatic);
  expect(toHex(respPublic)).toBe(v.init_remote_static);
  const m0 = v.messages[0]!;
  const m1 = v.messages[1]!;

  const out0 = new Uint8Array(initiationLength(hex(m0.payload).length));
  const init: InitiatorHandshake = must(
    writeInitiation(
      crypto,
      {
        start: initialState(crypto, name, hex(v.init_prologue), respPublic),
        localStaticPrivate: initStatic,
        localStaticPublic: crypto.x25519PublicKey(initStatic),
        remoteStatic: respPublic,
        ephemeralPrivate: hex(v.init_ephemeral),
      },
      hex(m0.payload),
      out0,
    ),
  );
  const resp: ResponderHandshake = must(
    readInitiation(
      crypto,
      { start: initialState(crypto, name, hex(v.resp_prologue), respPublic), localStaticPrivate: respStatic },
      out0,
    ),
  );
  const out1 = new Uint8Array(responseLength(hex(m1.payload).length));
  const respKeys: TransportKeys = must(
    writeResponse(crypto, resp, hex(v.resp_ephemeral), hex(v.resp_psks[0]!), hex(m1.payload), out1),
  );
  const initKeys = must(readResponse(crypto, init, initStatic, hex(v.init_psks[0]!), out1));
  return { out0, out1, resp, respKeys, initKeys, initStatic };
}

describe.each([createNodeCryptoBackend(), createNobleBackend()])(
  "Noise IKpsk2 vector over $name",
  (crypto) => {
    it("reproduces both handshake messages byte for byte", () => {
      const { out0, out1, resp, initKeys } = runHandshake(crypto);
      expect(toHex(out0)).toBe(v.messages[0]!.ciphertext);
      expect(toHex(out1)).toBe(v.messages[1]!.ciphertext);
      expect(toHex(resp.payload)).toBe(v.messages[0]!.payload);
      expect(toHex(initKeys.payload)).toBe(v.messages[1]!.payload);
      expect(toHex(resp.remoteStatic)).toBe(toHex(crypto.x25519PublicKey(hex(v.init_static))));
    });

    it("agrees on the handshake hash and split keys", () => {
      const { respKeys, initKeys } = runHandshake(crypto);
      expect(toHex(initKeys.hash)).toBe(v.handshake_hash);
      expect(toHex(respKeys.hash)).toBe(v.handshake_hash);
      expect(toHex(initKeys.sendKey)).toBe(toHex(respKeys.receiveKey));
      expect(toHex(initKeys.receiveKey)).toBe(toHex(respKeys.sendKey));
    });

    it("reproduces the transport messages with per-direction counters", () => {
      const { respKeys, initKeys } = runHandshake(crypto);
      const empty = new Uint8Array(0);
      const counters = [0, 0];
      v.messages.slice(2).forEach((m, i) => {
        const fromInitiator = i % 2 === 0;
        const sender = fromInitiator ? initKeys : respKeys;
        const receiver = fromInitiator ? respKeys : initKeys;
        const n = counters[i % 2]!++;
        const sealed = crypto.aeadSeal(sender.sendKey, n, hex(m.payload), empty);
        expect(toHex(sealed)).toBe(m.ciphertext);
        expect(toHex(crypto.aeadOpen(receiver.receiveKey, n, sealed, empty)!)).toBe(m.payload);
      });
    });

    it("fails cleanly on a wrong PSK, tampered messages and unknown peers", () => {
      const { out0, out1, initStatic } = runHandshake(crypto);
      const respPublic = crypto.x25519PublicKey(hex(v.resp_static));
      const start = initialState(crypto, name, hex(v.resp_prologue), respPublic);
      const tampered = out0.slice();
      tampered[40]! ^= 1;
      expect(readInitiation(crypto, { start, localStaticPrivate: hex(v.resp_static) }, tampered)).toBe(
        "handshake-decrypt-failed",
      );
      expect(
        readInitiation(
          crypto,
          { start, localStaticPrivate: hex(v.resp_static), lookup: () => undefined },
          out0,
        ),
      ).toBe("unknown-peer");
      const otherPrologue = initialState(crypto, name, new Uint8Array(1), respPublic);
      expect(
        readInitiation(crypto, { start: otherPrologue, localStaticPrivate: hex(v.resp_static) }, out0),
      ).toBe("handshake-decrypt-failed");
      const init = must(
        writeInitiation(
          crypto,
          {
            start: initialState(crypto, name, hex(v.init_prologue), respPublic),
            localStaticPrivate: initStatic,
            localStaticPublic: crypto.x25519PublicKey(initStatic),
            remoteStatic: respPublic,
            ephemeralPrivate: hex(v.init_ephemeral),
          },
          hex(v.messages[0]!.payload),
          new Uint8Array(out0.length),
        ),
      );
      expect(readResponse(crypto, init, initStatic, new Uint8Array(32), out1)).toBe(
        "handshake-decrypt-failed",
      );
      const lowOrder = out1.slice();
      lowOrder.fill(0, 0, 32);
      expect(readResponse(crypto, init, initStatic, hex(v.init_psks[0]!), lowOrder)).toBe("zero-dh");
      expect(readResponse(crypto, init, initStatic, hex(v.init_psks[0]!), out1.subarray(0, 40))).toBe(
        "handshake-decrypt-failed",
      );
    });
  },
);
