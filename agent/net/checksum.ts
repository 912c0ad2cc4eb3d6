/**
 * The Internet checksum (RFC 1071) shared by IPv4, ICMP, UDP and TCP.
 *
 * Sums are kept as folded 16-bit partial values so callers can add pieces
 * (pseudo-header, header, payload) in any order before inverting once.
 */

/** Folds carries above bit 15 back into the low 16 bits. */
function fold(sum: number): number {
  // Arithmetic rather than bit operations so any non-negative safe integer folds correctly.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * One's-complement sum of buf[start, end) as big-endian 16-bit words, added to `initial`.
 * An odd trailing byte is padded with zero on the right, as RFC 1071 requires.
 * Returns a folded 16-bit partial sum, not inverted.
 */
export function onesComplementSum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  // Folding every 32k words keeps the accumulator a small integer (a JIT-friendly SMI range).
  let sinceFold = 0;
  const last = end - 1;
  for (; i < last; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
    if (++sinceFold === 0x7fff) {
      sum = fold(sum);
      sinceFold = 0;
    }
  }
  if (i < end) sum += buf[i]! << 8;
  return fold(sum);
}

/** Folds and inverts a partial sum into the 16-bit value that goes on the wire. */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** Partial sum of the IPv4 pseudo-header used by UDP and TCP (addresses as uint32). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return fold(
    (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 0xff) + (length & 0xffff),
  );
}
