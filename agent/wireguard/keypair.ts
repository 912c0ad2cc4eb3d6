import type { Millis } from "./actions.ts";
import { ReplayWindow } from "./replay-window.ts";

/** One direction pair of transport keys from a completed handshake. */
export class Keypair {
  /**
   * Next counter to send, as the high and low 32-bit halves of a uint64: a double stops counting
   * at 2^53, short of the 2^60 and 2^64 - 2^13 limits, and would repeat a nonce there.
   */
  sendHi = 0;
  sendLo = 0;
  readonly replay = new ReplayWindow();

  constructor(
    readonly sendKey: Uint8Array,
    readonly receiveKey: Uint8Array,
    readonly localIndex: number,
    readonly remoteIndex: number,
    readonly createdAt: Millis,
    readonly isInitiator: boolean,
  ) {}

  /** Overwrites key material so a leaked heap dump after expiry reveals nothing. */
  zero(): void {
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
  }
}
