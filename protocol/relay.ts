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
 * A frame is at most MAX_RELAY_FRAME bytes; a larger one makes the relay close
 * the socket with 1009 (message too big). A zero length is invalid.
 *
 * Text frames: only the exact string "ping" is allowed, and the relay answers
 * "pong" without waking the object (hibernation auto-response). Any other text
 * frame closes the socket with 1003.
 */

/** Largest binary frame the relay accepts (64 KiB). */
export const MAX_RELAY_FRAME = 64 * 1024;
/**
 * Largest single datagram: it must fit one frame with its 2-byte length prefix
 * (65,534), which is tighter than what the prefix itself can express (65,535).
 */
export const MAX_RELAY_DATAGRAM = MAX_RELAY_FRAME - 2;
export const RELAY_PING = "ping";
export const RELAY_PONG = "pong";

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
