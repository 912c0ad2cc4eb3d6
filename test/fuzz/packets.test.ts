// Fuzzing the agent's packet parsers: random and near-valid input must never throw, and what a
// parser accepts must be well-formed (checked by re-encoding it or by the format's invariants).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, parseIpv4 } from "../../agent/net/ipv4.ts";
import { NetStack } from "../../agent/net/stack.ts";
import { parseTcpSegment } from "../../agent/net/tcp/segment.ts";
import { Udp, udpEcho } from "../../agent/net/udp.ts";
import { buildCallMeMaybe, parseCallMeMaybe } from "../../agent/paths/call-me-maybe.ts";
import { buildProbePacket, parseProbePacket } from "../../agent/paths/probe.ts";
import {
  encodeBindingRequest,
  encodeBindingSuccess,
  parseBindingRequest,
  parseBindingSuccess,
} from "../../agent/paths/stun.ts";
import { parseGreeting, parseRequest } from "../../agent/tunnel/socks5-wire.ts";
import {
  COOKIE_REPLY_SIZE,
  classify,
  INITIATION_SIZE,
  RESPONSE_SIZE,
  TRANSPORT_MIN_SIZE,
} from "../../agent/wireguard/messages.ts";
import { decodeRelayFrame, encodeRelayFrames } from "../../protocol/relay.ts";
import { fuzzRuns, fuzzTimeoutMs } from "./fuzz-runs.ts";
import { fixTransportChecksum, shapeIpv4 } from "./packet-builders.ts";

const runs = { numRuns: fuzzRuns() };
const T = fuzzTimeoutMs();
const SELF = 0x64400002; // 100.64.0.2
const PEER = 0x64400003;
const bytes = (max = 1600) => fc.uint8Array({ maxLength: max });

describe("WireGuard message classification", () => {
  it(
    "never throws; a classified message has its type byte, zero reserved bytes and its exact size",
    () => {
      const typed = fc
        .tuple(fc.integer({ min: 0, max: 6 }), fc.boolean(), bytes(200))
        .map(([type, zero, rest]) => {
          const b = new Uint8Array(rest.length + 4);
          b.set(rest, 4);
          b[0] = type;
          if (!zero) b[2] = 1;
          return b;
        });
      const sizes = fc.constantFrom(
        INITIATION_SIZE,
        RESPONSE_SIZE,
        COOKIE_REPLY_SIZE,
        TRANSPORT_MIN_SIZE,
        31,
        0,
        3,
      );
      const exact = fc.tuple(fc.integer({ min: 1, max: 4 }), sizes).map(([type, n]) => {
        const b = new Uint8Array(n);
        if (n > 0) b[0] = type;
        return b;
      });
      fc.assert(
        fc.property(fc.oneof(bytes(), typed, exact), (d) => {
          const kind = classify(d);
          if (typeof kind === "string") return;
          expect(d[0]).toBe(kind);
          expect((d[1] ?? 0) | (d[2] ?? 0) | (d[3] ?? 0)).toBe(0);
          const size = { 1: INITIATION_SIZE, 2: RESPONSE_SIZE, 3: COOKIE_REPLY_SIZE }[kind as 1 | 2 | 3];
          if (size !== undefined) expect(d.length).toBe(size);
          else expect(d.length).toBeGreaterThanOrEqual(TRANSPORT_MIN_SIZE);
        }),
        runs,
      );
    },
    T,
  );
});

describe("relay frames", () => {
  it(
    "never throws; an accepted frame re-encodes to exactly its own bytes",
    () => {
      const valid = fc
        .array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 })
        .map((ds) => encodeRelayFrames(ds)[0] ?? new Uint8Array());
      const mutated = fc.tuple(valid, fc.nat(), fc.nat(255)).map(([f, i, v]) => {
        const g = f.slice();
        if (g.length > 0) g[i % g.length] = v;
        return g;
      });
      fc.assert(
        fc.property(fc.oneof(bytes(), valid, mutated), (frame) => {
          const ds = decodeRelayFrame(frame);
          if (ds === null) return;
          expect(ds.length).toBeGreaterThan(0);
          expect(encodeRelayFrames(ds, Number.MAX_SAFE_INTEGER)).toEqual([frame]);
        }),
        runs,
      );
    },
    T,
  );
});

describe("IPv4", () => {
  it(
    "never throws; an accepted header is version 4 with consistent lengths and a valid checksum",
    () => {
      const shaped = fc
        .tuple(bytes(200), fc.integer({ min: 0, max: 16 }))
        .map(([b, ihl]) => shapeIpv4(b, ihl));
      fc.assert(
        fc.property(fc.oneof(bytes(200), shaped), (p) => {
          const h = parseIpv4(p);
          if (h === null) return;
          expect(p[0]! >> 4).toBe(4);
          expect(h.headerLength).toBeGreaterThanOrEqual(20);
          expect(h.headerLength).toBeLessThanOrEqual(h.totalLength);
          expect(h.totalLength).toBeLessThanOrEqual(p.length);
          // Flipping any header byte must break the checksum (or the header shape).
          const broken = p.slice();
          broken[10] = broken[10]! ^ 0x01;
          expect(parseIpv4(broken)).toBeNull();
        }),
        runs,
      );
    },
    T,
  );

  it(
    "the stack (ICMP, UDP echo, unknown protocols) never throws and sends only well-formed packets from itself",
    () => {
      const protocol = fc.constantFrom(PROTO_ICMP, PROTO_UDP, PROTO_TCP, 0, 200);
      const packet = fc
        .tuple(bytes(300), fc.integer({ min: 5, max: 8 }), protocol, fc.boolean())
        .map(([b, ihl, proto, fix]) => {
          const p = shapeIpv4(
            b.length < 28 ? new Uint8Array(28).fill(0).map((_, i) => b[i] ?? 0) : b,
            ihl,
            proto,
          );
          // Addressed to the stack, so it reaches the protocol handlers.
          p.set([100, 64, 0, 3], 12);
          p.set([100, 64, 0, 2], 16);
          const header = (p[0]! & 0x0f) * 4;
          const reshaped = shapeIpv4(p, p[0]! & 0x0f, proto);
          if (!fix || proto === 0 || proto === 200) return reshaped;
          const offset = proto === PROTO_ICMP ? 2 : proto === PROTO_UDP ? 6 : 16;
          const segment = reshaped.subarray(header);
          if (proto === PROTO_ICMP) {
            // ICMP's checksum has no pseudo-header.
            const s = segment.slice();
            s[2] = 0;
            s[3] = 0;
            let sum = 0;
            for (let i = 0; i < s.length; i += 2) sum += (s[i]! << 8) | (s[i + 1] ?? 0);
            while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
            const c = ~sum & 0xffff;
            s[2] = c >>> 8;
            s[3] = c & 0xff;
            reshaped.set(s, header);
          } else {
            reshaped.set(fixTransportChecksum(segment, PEER, SELF, proto, offset), header);
          }
          return reshaped;
        });
      fc.assert(
        fc.property(fc.array(packet, { maxLength: 4 }), (packets) => {
          const sent: Uint8Array[] = [];
          const stack = new NetStack({ address: SELF, send: (p) => sent.push(p.slice()) });
          udpEcho(new Udp(stack));
          let now = 0;
          for (const p of packets) {
            now += 10;
            stack.input(p, now);
          }
          for (const out of sent) {
            const h = parseIpv4(out);
            expect(h).not.toBeNull();
            expect(h?.src).toBe(SELF);
          }
        }),
        runs,
      );
    },
    T,
  );
});

describe("TCP segments", () => {
  it(
    "never throws; an accepted segment has a valid offset, its options bounded and its payload inside",
    () => {
      const seg = fc.tuple(bytes(120), fc.integer({ min: 0, max: 15 }), fc.boolean()).map(([b, off, fix]) => {
        const s = b.length < 20 ? new Uint8Array(20).map((_, i) => b[i] ?? 0) : b.slice();
        s[12] = (off << 4) | (s[12]! & 0x0f);
        return fix ? fixTransportChecksum(s, PEER, SELF, PROTO_TCP, 16) : s;
      });
      fc.assert(
        fc.property(fc.oneof(bytes(120), seg), (s) => {
          const r = parseTcpSegment(s, PEER, SELF);
          if (!r.ok) return;
          const dataOffset = (s[12]! >> 4) * 4;
          expect(dataOffset).toBeGreaterThanOrEqual(20);
          expect(r.segment.payload.length).toBe(s.length - dataOffset);
          if (r.segment.mss !== undefined) expect(r.segment.mss).toBeLessThanOrEqual(0xffff);
          if (r.segment.windowShift !== undefined) expect(r.segment.windowShift).toBeLessThanOrEqual(14);
          if (r.segment.sackBlocks !== undefined) expect(r.segment.sackBlocks.length % 2).toBe(0);
        }),
        runs,
      );
    },
    T,
  );
});

describe("STUN", () => {
  const txid = fc.uint8Array({ minLength: 12, maxLength: 12 });
  it(
    "Binding request: never throws; accepted means a 20-byte-header Binding request with that id",
    () => {
      const near = fc.tuple(txid, bytes(40), fc.nat(), fc.nat(255)).map(([id, extra, i, v]) => {
        const r = encodeBindingRequest(id);
        const b = new Uint8Array(r.length + (extra.length % 2 === 0 ? 0 : 4));
        b.set(r);
        b[i % b.length] = v;
        return b;
      });
      fc.assert(
        fc.property(fc.oneof(bytes(80), near), (b) => {
          const id = parseBindingRequest(b);
          if (id === null) return;
          expect(((b[0]! << 8) | b[1]!) === 0x0001).toBe(true);
          expect(((b[2]! << 8) | b[3]!) + 20).toBe(b.length);
          expect(id).toEqual(b.slice(8, 20));
        }),
        runs,
      );
    },
    T,
  );

  it(
    "Binding success: never throws; an accepted answer carries a real IPv4 address and port for our id",
    () => {
      const ok = fc
        .tuple(txid, fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 65535 }))
        .map(([id, ip, port]) => {
          const host = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
          return { id, b: encodeBindingSuccess(id, { host, port }) };
        });
      const mutated = fc.tuple(ok, fc.nat(), fc.nat(255)).map(([{ id, b }, i, v]) => {
        const c = b.slice();
        c[i % c.length] = v;
        return { id, b: c };
      });
      const random = fc.tuple(txid, bytes(120)).map(([id, b]) => ({ id, b }));
      fc.assert(
        fc.property(fc.oneof(ok, mutated, random), ({ id, b }) => {
          const m = parseBindingSuccess(b, id);
          if (m === null) return;
          expect(b.slice(8, 20)).toEqual(id);
          expect(m.host).toMatch(/^(\d{1,3})(\.\d{1,3}){3}$/);
          expect(m.port).toBeGreaterThanOrEqual(0);
          expect(m.port).toBeLessThanOrEqual(65535);
        }),
        runs,
      );
    },
    T,
  );
});

describe("SOCKS5", () => {
  it(
    "greeting and request: never throw; 'done' never uses more bytes than given, names are sane",
    () => {
      const near = fc
        .tuple(fc.constantFrom(1, 3, 4, 9), fc.constantFrom(1, 2, 3), bytes(300))
        .map(([atyp, cmd, rest]) => {
          const b = new Uint8Array(4 + rest.length);
          b.set([5, cmd, 0, atyp]);
          b.set(rest, 4);
          return b;
        });
      fc.assert(
        fc.property(fc.oneof(bytes(300), near), (b) => {
          const g = parseGreeting(b);
          if (g.kind === "done") expect(g.used).toBeLessThanOrEqual(b.length);
          const r = parseRequest(b);
          if (r.kind === "done") {
            expect(r.used).toBeLessThanOrEqual(b.length);
            expect(r.value.port).toBeGreaterThanOrEqual(0);
            expect(r.value.port).toBeLessThanOrEqual(65535);
            if (r.value.type === "name") expect(r.value.name.length).toBeGreaterThan(0);
          }
          if (r.kind === "bad") expect(r.message.length).toBeGreaterThan(0);
        }),
        runs,
      );
    },
    T,
  );
});

describe("call-me-maybe and probe packets", () => {
  const endpoint = fc.record({
    host: fc
      .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255))
      .map((o) => o.join(".")),
    port: fc.integer({ min: 1, max: 65535 }),
  });
  const cmm = fc.array(endpoint, { maxLength: 16 }).map((es) => buildCallMeMaybe(PEER, SELF, es));
  const probe = fc
    .record({
      kind: fc.constantFrom("ping" as const, "pong" as const),
      path: fc.constantFrom("direct" as const, "relay" as const),
      seq: fc.nat(),
      sentAt: fc.nat(),
    })
    .map((p) => buildProbePacket({ ...p, src: PEER, dst: SELF }));
  const mutate = (arb: fc.Arbitrary<Uint8Array>) =>
    fc.tuple(arb, fc.nat(), fc.nat(255), fc.boolean()).map(([p, i, v, reshape]) => {
      const c = p.slice();
      c[28 + (i % Math.max(1, c.length - 28))] = v;
      // Re-shaping keeps the IP header valid so the mutation reaches the payload parser.
      return reshape ? shapeIpv4(c, 5, PROTO_UDP) : c;
    });

  it(
    "never throw; an accepted announcement rebuilds to the same payload",
    () => {
      fc.assert(
        fc.property(fc.oneof(bytes(200), cmm, mutate(cmm), mutate(probe)), (p) => {
          const c = parseCallMeMaybe(p);
          if (c === null) return;
          expect(c.endpoints.length).toBeLessThanOrEqual(16);
          for (const e of c.endpoints) expect(e.port).toBeGreaterThan(0);
          // Bytes 5..7 of the header are reserved and ignored; everything else must match.
          const rebuilt = buildCallMeMaybe(c.src, c.dst, c.endpoints).subarray(28);
          const original = p.subarray(28);
          expect(rebuilt.length).toBe(original.length);
          expect([...rebuilt.subarray(0, 5), ...rebuilt.subarray(8)]).toEqual([
            ...original.subarray(0, 5),
            ...original.subarray(8),
          ]);
        }),
        runs,
      );
    },
    T,
  );

  it(
    "never throw; an accepted probe rebuilds to the same payload",
    () => {
      fc.assert(
        fc.property(fc.oneof(bytes(200), probe, mutate(probe), mutate(cmm)), (p) => {
          const pr = parseProbePacket(p);
          if (pr === null) return;
          const rebuilt = buildProbePacket(pr).subarray(28);
          // Bytes 6..7 of the probe payload are padding the parser ignores; the rest must match.
          const original = p.subarray(28);
          expect(rebuilt.length).toBe(original.length);
          expect([...rebuilt.subarray(0, 6), ...rebuilt.subarray(8)]).toEqual([
            ...original.subarray(0, 6),
            ...original.subarray(8),
          ]);
        }),
        runs,
      );
    },
    T,
  );
});
