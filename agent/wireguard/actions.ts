/**
 * The contract between the sans-I/O WireGuard core and whatever drives it
 * (the runnable peer, the agent's path manager, tests).
 *
 * The core never touches a socket or a timer. Every entry point takes the
 * current time from the caller and returns a list of actions; the driver
 * performs them. This keeps the protocol testable with a fake clock and lets
 * the same core run over UDP, the relay, or an in-memory link.
 */

/** Where a datagram came from or goes to. Opaque to the core except for equality and roaming. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Milliseconds on a monotonic clock supplied by the driver. */
export type Millis = number;

/** Why the core dropped an input. Counted per reason so operators can see what hits the port. */
export type DropReason =
  | "too-short"
  | "unknown-type"
  | "bad-length"
  | "reserved-nonzero"
  | "bad-mac1"
  | "bad-mac2"
  | "under-load-no-cookie"
  | "rate-limited"
  | "handshake-decrypt-failed"
  | "unknown-peer"
  | "replayed-timestamp"
  | "initiation-flood"
  | "unknown-receiver"
  | "unexpected-response"
  | "cookie-decrypt-failed"
  | "decrypt-failed"
  | "replayed-counter"
  | "key-expired"
  | "inner-not-ipv4"
  | "inner-bad-length"
  | "disallowed-source"
  | "no-route"
  | "no-session"
  | "zero-dh";

export type Action =
  /** Send these bytes to this endpoint (UDP or any other datagram path). */
  | { readonly type: "send"; readonly peer: string; readonly endpoint: Endpoint; readonly data: Uint8Array }
  /** A decrypted inner IP packet, already trimmed to its IP total length and allowed-IPs checked. */
  /** `packet` is fresh decrypted memory that passes to the receiver: it may keep it without copying. */
  | { readonly type: "deliver"; readonly peer: string; readonly packet: Uint8Array }
  /** The input was rejected; nothing else happened. */
  | { readonly type: "drop"; readonly reason: DropReason; readonly peer?: string }
  /** A handshake finished and a new keypair is in use. */
  | { readonly type: "handshake-complete"; readonly peer: string; readonly role: "initiator" | "responder" }
  /** An authenticated packet arrived from a new endpoint; the peer roamed. */
  | { readonly type: "endpoint-changed"; readonly peer: string; readonly endpoint: Endpoint }
  /** All keys for the peer were zeroed (540 s without a new handshake, or 90 s of failed attempts). */
  | { readonly type: "session-expired"; readonly peer: string };
