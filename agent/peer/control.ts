/**
 * The JSON-lines control channel of the runnable peer, used by system tests and
 * by humans poking at a peer: one command per input line, one event per output line.
 *
 * Commands:
 *   {"cmd":"udp-send","srcPort":5000,"dst":"100.64.0.1:9000","dataHex":"0102"}
 *   {"cmd":"handshake","peer":"peer1"}      (peer optional)
 *   {"cmd":"stats"}
 *   {"cmd":"quit"}
 * Every command gets exactly one answer: {"event":"ok","cmd":...}, {"event":"stats",...}
 * or {"event":"error","message":...}. Bad input is answered, never fatal.
 */
import { ipFromString } from "../net/ipv4.ts";
import type { PeerEvent, RunningPeer } from "./udp-peer.ts";

export type ControlOutput = Record<string, unknown> & { event: string };

const MAX_LINE = 256 * 1024;

/** What the peer's own events look like on the wire (bytes as hex). */
export function peerEventToJson(e: PeerEvent): ControlOutput {
  if (e.event === "udp")
    return { event: "udp", port: e.port, from: e.from, dataHex: Buffer.from(e.data).toString("hex") };
  return { ...e };
}

function fail(message: string): ControlOutput {
  return { event: "error", message };
}

function parseHostPort(s: unknown): { ip: number; port: number } {
  if (typeof s !== "string") throw new Error('"dst" must be "a.b.c.d:port"');
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`"dst" must be "a.b.c.d:port", got "${s}"`);
  return { ip: ipFromString(m[1]!), port };
}

function parseHex(s: unknown): Uint8Array {
  if (s === undefined) return new Uint8Array(0);
  if (typeof s !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(s))
    throw new Error('"dataHex" must be an even-length hex string');
  return Uint8Array.from(Buffer.from(s, "hex"));
}

/**
 * Handles one input line. Returns the answer, or "quit" when the peer should stop.
 */
export function handleControlLine(peer: RunningPeer, line: string): ControlOutput | "quit" | null {
  const text = line.trim();
  if (text === "") return null;
  if (text.length > MAX_LINE) return fail(`command longer than ${MAX_LINE} bytes`);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return fail("not JSON");
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg))
    return fail("command must be a JSON object");
  const cmd = (msg as { cmd?: unknown }).cmd;
  const m = msg as Record<string, unknown>;
  try {
    switch (cmd) {
      case "udp-send": {
        const srcPort = m.srcPort;
        if (typeof srcPort !== "number" || !Number.isInteger(srcPort) || srcPort < 1 || srcPort > 65535) {
          return fail('"srcPort" must be a port number');
        }
        const { ip, port } = parseHostPort(m.dst);
        peer.udpSend(srcPort, ip, port, parseHex(m.dataHex));
        return { event: "ok", cmd };
      }
      case "handshake": {
        if (m.peer !== undefined && typeof m.peer !== "string") return fail('"peer" must be a string');
        peer.handshake(m.peer as string | undefined);
        return { event: "ok", cmd };
      }
      case "stats":
        return { event: "stats", ...peer.stats() };
      case "quit":
        return "quit";
      default:
        return fail(`unknown command ${JSON.stringify(cmd ?? null)}`);
    }
  } catch (err) {
    return fail((err as Error).message);
  }
}
