import type { Millis } from "./actions.ts";
import { ReplayWindow } from "./replay-window.ts";

/** One direction pair of transport keys from a completed handshake. */
export class Keypair {
  /** Next counter to send; a double is exact far beyond REKEY_AFTER_MESSAGES' practical reach. */
  sendCounter = 0;
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
