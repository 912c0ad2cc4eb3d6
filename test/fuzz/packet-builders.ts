// Makes random bytes look valid enough to get past the cheap checks (version, checksums), so
// fuzzing reaches the parsing behind them instead of dying at the first gate.
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from "../../agent/net/checksum.ts";

/** Forces version 4, a plausible IHL and total length, and a correct header checksum. */
export function shapeIpv4(bytes: Uint8Array, ihlWords: number, protocol?: number): Uint8Array {
  const b = bytes.slice();
  if (b.length < 20) return b;
  const ihl = Math.max(5, Math.min(ihlWords, Math.floor(b.length / 4), 15));
  b[0] = 0x40 | ihl;
  b[2] = b.length >>> 8;
  b[3] = b.length & 0xff;
  if (protocol !== undefined) b[9] = protocol;
  b[10] = 0;
  b[11] = 0;
  const c = finishChecksum(onesComplementSum(b, 0, ihl * 4));
  b[10] = c >>> 8;
  b[11] = c & 0xff;
  return b;
}

/** Sets a correct TCP or UDP checksum over `segment` (offset of the checksum field given). */
export function fixTransportChecksum(
  segment: Uint8Array,
  src: number,
  dst: number,
  protocol: number,
  checksumOffset: number,
): Uint8Array {
  const s = segment.slice();
  if (s.length < checksumOffset + 2) return s;
  s[checksumOffset] = 0;
  s[checksumOffset + 1] = 0;
  const c = finishChecksum(onesComplementSum(s, 0, s.length, pseudoHeaderSum(src, dst, protocol, s.length)));
  s[checksumOffset] = c >>> 8;
  s[checksumOffset + 1] = c & 0xff;
  return s;
}
