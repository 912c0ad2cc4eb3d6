/**
 * Hand-built reference packets for the unit tests. Checksums were computed
 * independently of this code base (a separate RFC 1071 implementation), so the
 * tests compare against bytes we did not produce ourselves.
 */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export const PEER = 0x64400001; // 100.64.0.1
export const SELF = 0x64400002; // 100.64.0.2

/** ping 100.64.0.1 -> 100.64.0.2: id 0x1234, seq 1, Linux-style 56-byte payload. */
export const ECHO_REQUEST = hex(
  "4500004c04d2400040016d5c6440000164400002" +
    "08005e71123400015e1f6a6700000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
);

/** The ICMP part of the expected reply: type 0, same identifier, sequence and data. */
export const ECHO_REPLY_ICMP = hex(
  "00006671123400015e1f6a6700000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
);

/** UDP 100.64.0.1:9000 -> 100.64.0.2:7 carrying "hello". */
export const UDP_HELLO = hex("4500002104d2400040116d776440000164400002 23280007000dd04f 68656c6c6f");

/** The UDP segment of the echo's answer, 100.64.0.2:7 -> 100.64.0.1:9000. */
export const UDP_HELLO_REPLY_SEGMENT = hex("00072328000dd04f68656c6c6f");
