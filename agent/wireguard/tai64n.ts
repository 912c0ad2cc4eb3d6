/**
 * TAI64N timestamps carried in handshake initiations. The responder keeps the
 * greatest one per peer, so a captured initiation can never be replayed.
 */
export const TAI64N_LENGTH = 12;

// TAI64 labels second s as 2^62 + s; TAI is ahead of UTC by 10 s in the
// label's definition (wireguard-go adds the same constant).
const TAI64_BASE = 0x400000000000000an;

/**
 * wireguard-go rounds nanoseconds down to a multiple of 2^24 (~16.8 ms) so a
 * timestamp reveals less about the host clock; we do the same.
 */
const WHITENER_MASK = 0xffffff;

export function encodeTai64n(unixMillis: number): Uint8Array {
  const out = new Uint8Array(TAI64N_LENGTH);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(unixMillis / 1000);
  const nanos = Math.floor((unixMillis - seconds * 1000) * 1e6);
  view.setBigUint64(0, TAI64_BASE + BigInt(seconds), false);
  view.setUint32(8, (nanos & ~WHITENER_MASK) >>> 0, false);
  return out;
}

/** Big-endian encoding makes byte order equal time order. */
export function compareTai64n(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < TAI64N_LENGTH; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The smallest timestamp greater than `t` (used to keep our own initiations strictly increasing). */
export function nextTai64n(t: Uint8Array): Uint8Array {
  const out = new Uint8Array(t);
  const view = new DataView(out.buffer);
  // Step by one whitening quantum so the result still looks whitened.
  let nanos = view.getUint32(8, false) + WHITENER_MASK + 1;
  let seconds = view.getBigUint64(0, false);
  if (nanos >= 1e9) {
    nanos = 0;
    seconds += 1n;
  }
  view.setBigUint64(0, seconds, false);
  view.setUint32(8, nanos, false);
  return out;
}
