/**
 * WireGuard's DoS defence (whitepaper section 5.4.4 and 5.4.7).
 *
 * mac1 proves the sender knows the responder's public key; mac2 proves it can
 * receive at its source address, because the key for mac2 is a cookie the
 * responder only ever sends there, sealed with XChaCha20-Poly1305.
 */
import type { Endpoint, Millis } from "./actions.ts";
import { constantTimeEqual } from "./bytes.ts";
import { COOKIE_REFRESH_TIME, LABEL_COOKIE, LABEL_MAC1 } from "./constants.ts";
import type { CryptoBackend } from "./crypto/backend.ts";
import {
  COOKIE_BODY_OFFSET,
  COOKIE_NONCE_OFFSET,
  COOKIE_REPLY_SIZE,
  MAC_LENGTH,
  MESSAGE_COOKIE_REPLY,
  writeHeader,
  writeU32,
} from "./messages.ts";

const text = new TextEncoder();

function sourceBytes(e: Endpoint): Uint8Array {
  return text.encode(`${e.host}\u0000${e.port}`);
}

function isZero16(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/** Responder side: verifies mac1/mac2 on our incoming handshakes and issues cookies. */
export class CookieChecker {
  private readonly mac1Key: Uint8Array;
  private readonly encryptionKey: Uint8Array;
  private secret: Uint8Array = new Uint8Array(32);
  private secretSetAt: Millis = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly crypto: CryptoBackend,
    localPublicKey: Uint8Array,
    private readonly random: (n: number) => Uint8Array,
  ) {
    this.mac1Key = crypto.hash(LABEL_MAC1, localPublicKey);
    this.encryptionKey = crypto.hash(LABEL_COOKIE, localPublicKey);
  }

  /** mac1 sits 32 bytes from the end of every handshake message. */
  checkMac1(message: Uint8Array): boolean {
    const at = message.length - 2 * MAC_LENGTH;
    const expected = this.crypto.mac(this.mac1Key, message.subarray(0, at));
    return constantTimeEqual(expected, message.subarray(at, at + MAC_LENGTH));
  }

  /** "missing" when mac2 is all zeros, so callers can tell no-cookie from a stale/forged one. */
  checkMac2(message: Uint8Array, source: Endpoint, now: Millis): "valid" | "missing" | "invalid" {
    const at = message.length - MAC_LENGTH;
    const mac2 = message.subarray(at);
    if (isZero16(mac2)) return "missing";
    if (now - this.secretSetAt > COOKIE_REFRESH_TIME) return "invalid";
    const cookie = this.crypto.mac(this.secret, sourceBytes(source));
    const expected = this.crypto.mac(cookie, message.subarray(0, at));
    return constantTimeEqual(expected, mac2) ? "valid" : "invalid";
  }

  /** A cookie reply to `message` (whose sender index is `receiverIndex`), bound to its mac1. */
  createReply(message: Uint8Array, receiverIndex: number, source: Endpoint, now: Millis): Uint8Array {
    if (now - this.secretSetAt > COOKIE_REFRESH_TIME) {
      this.secret = this.random(32);
      this.secretSetAt = now;
    }
    const cookie = this.crypto.mac(this.secret, sourceBytes(source));
    const mac1 = message.subarray(message.length - 2 * MAC_LENGTH, message.length - MAC_LENGTH);
    const nonce = this.random(24);
    const reply = new Uint8Array(COOKIE_REPLY_SIZE);
    writeHeader(reply, MESSAGE_COOKIE_REPLY);
    writeU32(reply, 4, receiverIndex);
    reply.set(nonce, COOKIE_NONCE_OFFSET);
    reply.set(this.crypto.xaeadSeal(this.encryptionKey, nonce, cookie, mac1), COOKIE_BODY_OFFSET);
    return reply;
  }
}

/** Initiator side, one per peer: stamps mac1/mac2 on our handshakes and absorbs cookie replies. */
export class CookieGenerator {
  private readonly mac1Key: Uint8Array;
  private readonly encryptionKey: Uint8Array;
  private lastMac1: Uint8Array | null = null;
  private cookie: Uint8Array | null = null;
  private cookieSetAt: Millis = 0;

  constructor(
    private readonly crypto: CryptoBackend,
    remotePublicKey: Uint8Array,
  ) {
    this.mac1Key = crypto.hash(LABEL_MAC1, remotePublicKey);
    this.encryptionKey = crypto.hash(LABEL_COOKIE, remotePublicKey);
  }

  addMacs(message: Uint8Array, now: Millis): void {
    const mac1At = message.length - 2 * MAC_LENGTH;
    const mac2At = message.length - MAC_LENGTH;
    const mac1 = this.crypto.mac(this.mac1Key, message.subarray(0, mac1At));
    message.set(mac1, mac1At);
    this.lastMac1 = mac1;
    // The responder rotates its secret every 2 minutes, so an older cookie is useless.
    if (this.cookie !== null && now - this.cookieSetAt < COOKIE_REFRESH_TIME) {
      message.set(this.crypto.mac(this.cookie, message.subarray(0, mac2At)), mac2At);
    } else {
      message.fill(0, mac2At);
    }
  }

  /** Accepts a cookie reply only if it answers the last message we sent. */
  consumeReply(reply: Uint8Array, now: Millis): boolean {
    if (this.lastMac1 === null) return false;
    const nonce = reply.subarray(COOKIE_NONCE_OFFSET, COOKIE_BODY_OFFSET);
    const cookie = this.crypto.xaeadOpen(
      this.encryptionKey,
      nonce,
      reply.subarray(COOKIE_BODY_OFFSET),
      this.lastMac1,
    );
    if (cookie === null) return false;
    this.cookie = new Uint8Array(cookie);
    this.cookieSetAt = now;
    this.lastMac1 = null;
    return true;
  }
}
