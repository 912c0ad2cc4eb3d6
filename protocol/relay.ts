import { z } from "zod";
import { RelayPlacement } from "./relay-placement.ts";

/**
 * The relay wire protocol, in one place.
 *
 * An agent reaches its peer through the platform by opening a WebSocket:
 *
 *   GET /relay/<peer-cluster>   Authorization: Bearer <agent credential>   Upgrade: websocket
 *
 * The Worker authenticates the credential, checks the peering policy, and hands
 * the upgrade to the pair's Durable Object, named "pair:" + the two cluster names
 * sorted and joined by ",". The object forwards every binary frame from one side
 * to the other without reading it: the payload is WireGuard datagrams, already
 * encrypted end to end, so the relay never needs to understand them.
 *
 * Binary frame (agent <-> relay <-> agent), one or more datagrams batched to cut
 * per-message cost:
 *
 *   +--------+----------------+--------+----------------+---
 *   | len u16 BE | datagram (len B) | len u16 BE | datagram | ...
 *   +--------+----------------+--------+----------------+---
 *
 * The relay accepts frames up to RELAY_FRAME_ACCEPTED bytes; a larger one makes
 * it close the socket with 1009 (message too big). A zero length is invalid.
 *
 * The handshake: right after accepting the socket, the relay sends one text
 * message, a RelayHello (JSON), with the frame size agents should batch up to
 * (maxFrame) and where the pair's object was placed. An agent sends frames of
 * at most RELAY_FRAME_DEFAULT until the hello arrives, and never more than the
 * hello's maxFrame. So a larger cap rolls out safely: the relay accepts larger
 * frames first (RELAY_FRAME_ACCEPTED), then a later relay advertises them, and
 * no agent constant has to change.
 *
 * Text frames from agents: only the exact string "ping" is allowed, and the
 * relay answers "pong" without waking the object (hibernation auto-response).
 * Any other text frame closes the socket with 1003.
 */

/** What an agent batches up to before the relay's hello tells it more (the relay's old cap, 64 KiB). */
export const RELAY_FRAME_DEFAULT = 64 * 1024;
/** What the relay advertises in its hello (256 KiB: see the README's relay figures). */
export const RELAY_FRAME_ADVERTISED = 256 * 1024;
/** Largest binary frame the relay accepts (1 MiB; Cloudflare allows 32 MiB per WebSocket message). */
export const RELAY_FRAME_ACCEPTED = 1024 * 1024;
/** Kept for the framing code and tests: the default frame size. */
export const MAX_RELAY_FRAME = RELAY_FRAME_DEFAULT;
/**
 * Largest single datagram: what the 2-byte length prefix can express, less one
 * so that it also fits a default frame with its prefix (65,534).
 */
export const MAX_RELAY_DATAGRAM = RELAY_FRAME_DEFAULT - 2;
export const RELAY_PING = "ping";
export const RELAY_PONG = "pong";

/** The relay's first message on every socket (a text frame, JSON). */
export const RelayHello = z.object({
  type: z.literal("hello"),
  /** Agents batch datagrams into frames of at most this many bytes. */
  maxFrame: z
    .number()
    .int()
    .min(RELAY_FRAME_DEFAULT)
    .max(32 * 1024 * 1024),
  /** Where the pair's object was placed (null from a relay that does not know). */
  placement: RelayPlacement.nullable(),
});
export type RelayHello = z.infer<typeof RelayHello>;

/** Parses a text frame from the relay as a hello; null when it is anything else (a pong). */
export function parseRelayHello(text: string): RelayHello | null {
  if (!text.startsWith("{")) return null;
  try {
    const r = RelayHello.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Close codes the relay uses. */
export const RelayClose = {
  /** The same side connected again; the newer socket wins. */
  replaced: 4000,
  /** The cluster was deleted or its credential revoked. */
  revoked: 4001,
  /** The peering policy changed and no longer pairs the two clusters. */
  policy: 4002,
  /** RFC 6455: unsupported data (a text frame that is not "ping"). */
  unsupportedData: 1003,
  /** RFC 6455: message too big (frame over MAX_RELAY_FRAME). */
  tooBig: 1009,
} as const;

/** The Durable Object name for a pair of clusters; order-independent. */
export function pairName(a: string, b: string): string {
  return a < b ? `pair:${a},${b}` : `pair:${b},${a}`;
}

/**
 * Packs datagrams into frames of at most `maxFrame` bytes. Datagrams larger
 * than MAX_RELAY_DATAGRAM are rejected by throwing, since they cannot be
 * expressed on the wire; callers only ever hand it WireGuard datagrams
 * (at most MTU + 32 bytes).
 */
export function encodeRelayFrames(
  datagrams: readonly Uint8Array[],
  maxFrame = MAX_RELAY_FRAME,
): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const out = new Uint8Array(size);
    let o = 0;
    for (const d of batch) {
      out[o] = d.length >>> 8;
      out[o + 1] = d.length & 0xff;
      out.set(d, o + 2);
      o += 2 + d.length;
    }
    frames.push(out);
    batch = [];
    size = 0;
  };
  for (const d of datagrams) {
    if (d.length === 0 || d.length > MAX_RELAY_DATAGRAM || d.length + 2 > maxFrame) {
      throw new RangeError(
        `relay datagram of ${d.length} bytes cannot be framed (1..${Math.min(MAX_RELAY_DATAGRAM, maxFrame - 2)} bytes)`,
      );
    }
    if (size + 2 + d.length > maxFrame) flush();
    batch.push(d);
    size += 2 + d.length;
  }
  flush();
  return frames;
}

/**
 * Splits a received frame into datagrams (views into `frame`, not copies).
 * Returns null when the frame is malformed (zero length, or a length running
 * past the end), so a corrupted frame is dropped whole rather than half-read.
 */
export function decodeRelayFrame(frame: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < frame.length) {
    if (o + 2 > frame.length) return null;
    const len = (frame[o]! << 8) | frame[o + 1]!;
    if (len === 0 || o + 2 + len > frame.length) return null;
    out.push(frame.subarray(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return out.length > 0 ? out : null;
}
