/**
 * SOCKS5 (RFC 1928) messages, the subset Tether serves: no authentication and
 * CONNECT only. The parsers are incremental: given what has arrived so far they
 * say "need more", "done" (with how many bytes they used) or "bad" (with the
 * reply code to send before closing).
 *
 *   greeting: VER=5 | NMETHODS | METHODS...
 *   request:  VER=5 | CMD | RSV=0 | ATYP | DST.ADDR | DST.PORT(2)
 *             ATYP 1: 4-byte IPv4, 3: 1-byte length + name, 4: 16-byte IPv6
 *   reply:    VER=5 | REP | RSV=0 | ATYP=1 | BND.ADDR(4) | BND.PORT(2)
 */

export const SOCKS_VERSION = 5;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
export const CMD_CONNECT = 1;

export const Reply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export type Parsed<T> =
  | { readonly kind: "need-more" }
  | { readonly kind: "done"; readonly value: T; readonly used: number }
  | { readonly kind: "bad"; readonly reply: number; readonly message: string };

const NEED: Parsed<never> = { kind: "need-more" };

export function parseGreeting(b: Uint8Array): Parsed<{ noAuth: boolean }> {
  if (b.length < 2) return NEED;
  if (b[0] !== SOCKS_VERSION)
    return { kind: "bad", reply: Reply.generalFailure, message: `not SOCKS5 (version ${b[0]})` };
  const n = b[1]!;
  if (n === 0)
    return { kind: "bad", reply: Reply.generalFailure, message: "no authentication methods offered" };
  if (b.length < 2 + n) return NEED;
  const methods = b.subarray(2, 2 + n);
  return { kind: "done", value: { noAuth: methods.includes(METHOD_NO_AUTH) }, used: 2 + n };
}

export type Destination =
  | { readonly type: "ipv4"; readonly ip: number; readonly port: number }
  | { readonly type: "name"; readonly name: string; readonly port: number };

export function parseRequest(b: Uint8Array): Parsed<Destination> {
  if (b.length < 4) return NEED;
  if (b[0] !== SOCKS_VERSION)
    return { kind: "bad", reply: Reply.generalFailure, message: `not SOCKS5 (version ${b[0]})` };
  if (b[2] !== 0) return { kind: "bad", reply: Reply.generalFailure, message: "reserved byte is not zero" };
  const cmd = b[1];
  const atyp = b[3];
  let addrLen: number;
  if (atyp === 1) addrLen = 4;
  else if (atyp === 3) {
    if (b.length < 5) return NEED;
    addrLen = 1 + b[4]!;
    if (b[4] === 0) return { kind: "bad", reply: Reply.hostUnreachable, message: "empty host name" };
  } else if (atyp === 4) addrLen = 16;
  else return { kind: "bad", reply: Reply.addressTypeNotSupported, message: `address type ${atyp}` };
  const total = 4 + addrLen + 2;
  if (b.length < total) return NEED;
  // The command is checked after the length so a bad request is consumed whole, not misread.
  if (cmd !== CMD_CONNECT)
    return { kind: "bad", reply: Reply.commandNotSupported, message: `command ${cmd} (only CONNECT)` };
  const port = (b[total - 2]! << 8) | b[total - 1]!;
  if (atyp === 4)
    return {
      kind: "bad",
      reply: Reply.addressTypeNotSupported,
      message: "IPv6 destinations are not on the mesh",
    };
  if (atyp === 1) {
    const ip = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
    return { kind: "done", value: { type: "ipv4", ip, port }, used: total };
  }
  const name = new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(5, 5 + b[4]!));
  return { kind: "done", value: { type: "name", name, port }, used: total };
}

export function encodeMethodChoice(method: number): Uint8Array {
  return Uint8Array.of(SOCKS_VERSION, method);
}

export function encodeReply(reply: number, bindIp = 0, bindPort = 0): Uint8Array {
  return Uint8Array.of(
    SOCKS_VERSION,
    reply,
    0,
    1,
    (bindIp >>> 24) & 0xff,
    (bindIp >>> 16) & 0xff,
    (bindIp >>> 8) & 0xff,
    bindIp & 0xff,
    (bindPort >>> 8) & 0xff,
    bindPort & 0xff,
  );
}
