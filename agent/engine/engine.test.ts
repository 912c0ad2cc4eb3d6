import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { createLogger } from "../util/logger.ts";
import type { Action } from "../wireguard/actions.ts";
import { generatePrivateKey, publicKeyFrom } from "../wireguard/index.ts";
import { Engine, type SendAction, TICK_MS, UDP_ECHO_PORT } from "./engine.ts";

/** Two engines whose datagrams go straight to each other, on one fake clock. */
function pair(clock: FakeClock) {
  const queue: (() => void)[] = [];
  const events: { side: string; action: Action }[] = [];
  const keys = [generatePrivateKey(), generatePrivateKey()] as const;
  const ips = [0x64400001, 0x64400002] as const;
  const names = ["a", "b"] as const;
  const engines: Engine<string>[] = [];
  for (const i of [0, 1] as const) {
    engines.push(
      new Engine<string>({
        privateKey: keys[i],
        address: ips[i],
        mtu: 1420,
        clock,
        log: createLogger("error", () => {}),
        transmit: (a: SendAction, via) => {
          const to = engines[1 - i]!;
          const data = a.data.slice();
          queue.push(() =>
            to.input(data, { host: "192.0.2.1", port: 1000 + i }, `from-${names[i]}${via ? `:${via}` : ""}`),
          );
        },
        onEvent: (action) => events.push({ side: names[i], action }),
      }),
    );
  }
  for (const i of [0, 1] as const) {
    engines[i]!.device.addPeer({
      name: names[1 - i]!,
      publicKey: publicKeyFrom(keys[1 - i]!),
      endpoint: { host: "192.0.2.1", port: 1000 + (1 - i) },
      allowedIps: [`100.64.0.${2 - i}/32`],
    });
  }
  const flush = () => {
    for (let n = 0; n < 1000 && queue.length > 0; n++) queue.shift()!();
  };
  return { a: engines[0]!, b: engines[1]!, flush, events };
}

describe("Engine", () => {
  it("handshakes and answers UDP echo on port 7 through the tunnel, byte-exact", () => {
    const clock = new FakeClock();
    const { a, b, flush, events } = pair(clock);
    const replies: number[][] = [];
    a.udp.bind(40_000, (_src, srcPort, data) => {
      if (srcPort === UDP_ECHO_PORT) replies.push([...data]);
    });
    a.udp.sendTo(40_000, b.stack.address, UDP_ECHO_PORT, new Uint8Array([7, 8, 9]));
    flush();
    expect(replies).toEqual([[7, 8, 9]]);
    expect(
      events
        .filter((e) => e.action.type === "handshake-complete")
        .map((e) => e.side)
        .sort(),
    ).toEqual(["a", "b"]);
  });

  it("runs the core's and the stack's timers on its tick, and records when it last ticked", () => {
    const clock = new FakeClock();
    const { a } = pair(clock);
    a.start();
    const started = clock.now();
    clock.advance(TICK_MS * 3);
    expect(a.lastTickAt).toBe(started + TICK_MS * 3);
    a.stop();
    clock.advance(TICK_MS * 3);
    expect(a.lastTickAt).toBe(started + TICK_MS * 3);
    expect(clock.scheduled).toBe(0);
  });

  it("lets an intercept consume a decrypted packet before the stack sees it", () => {
    const clock = new FakeClock();
    const queue: (() => void)[] = [];
    const seen: string[] = [];
    const [ka, kb] = [generatePrivateKey(), generatePrivateKey()];
    const mk = (key: Uint8Array, ip: number, other: () => Engine<null>, intercept?: () => boolean) =>
      new Engine<null>({
        privateKey: key,
        address: ip,
        mtu: 1420,
        clock,
        log: createLogger("error", () => {}),
        transmit: (s) => {
          const d = s.data.slice();
          queue.push(() => other().input(d, { host: "192.0.2.1", port: 1 }, null));
        },
        ...(intercept ? { intercept } : {}),
      });
    const b: Engine<null> = mk(
      kb,
      0x64400002,
      () => a,
      () => {
        seen.push("intercepted");
        return true;
      },
    );
    const a: Engine<null> = mk(ka, 0x64400001, () => b);
    a.device.addPeer({
      name: "b",
      publicKey: publicKeyFrom(kb),
      endpoint: { host: "192.0.2.1", port: 2 },
      allowedIps: ["100.64.0.2/32"],
    });
    b.device.addPeer({
      name: "a",
      publicKey: publicKeyFrom(ka),
      endpoint: { host: "192.0.2.1", port: 1 },
      allowedIps: ["100.64.0.1/32"],
    });
    a.udp.sendTo(40_000, 0x64400002, UDP_ECHO_PORT, new Uint8Array([1]));
    for (let n = 0; n < 100 && queue.length > 0; n++) queue.shift()!();
    expect(seen).toEqual(["intercepted"]);
    expect(b.udp.counters).toMatchObject({ received: 0 });
  });
});
