/**
 * Transport plaintext is zero-padded to a multiple of 16 bytes to blur packet sizes, but never past
 * the tunnel MTU: a full-size packet must stay full-size, not grow into a fragment. A packet longer
 * than the MTU (only `encapsulateTo` lets one through) is padded as its last MTU-sized piece would be.
 */
export function paddedLength(length: number, mtu: number): number {
  if (length <= mtu) {
    const rounded = (length + 15) & ~15;
    return Math.min(rounded, mtu);
  }
  const last = length % mtu;
  const rounded = (last + 15) & ~15;
  return length - last + Math.min(rounded, mtu);
}
