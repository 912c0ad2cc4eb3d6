import { env, SELF } from "cloudflare:test";
import type { PairRelay } from "../../durable-objects/pair-relay.ts";
import { pairName, parseRelayHello, type RelayHello } from "../../protocol/relay.ts";
import { BASE, createCluster, registerAgent, uniqueName } from "./http.ts";

/** An agent as the relay sees it: its cluster name and credential. */
export interface TestAgent {
  cluster: string;
  credential: string;
}

export async function registeredAgent(prefix: string, local = false): Promise<TestAgent> {
  const created = await createCluster({ name: uniqueName(prefix), local });
  const reg = await registerAgent(created.cluster.name, created.psk);
  return { cluster: created.cluster.name, credential: reg.credential };
}

/** Opens `GET /relay/<peer>` through the Worker's real fetch entry point; returns the raw response. */
export function relayUpgrade(
  credential: string | null,
  peer: string,
  upgrade = true,
  cf?: Record<string, unknown>,
): Promise<Response> {
  const headers = new Headers();
  if (upgrade) headers.set("upgrade", "websocket");
  if (credential !== null) headers.set("authorization", `Bearer ${credential}`);
  // `cf` stands in for where Cloudflare's edge saw the agent (request.cf in the Worker).
  return SELF.fetch(`${BASE}/relay/${peer}`, cf ? { headers, cf } : { headers });
}

/** A client socket plus everything it received, so tests can await frames and the close. */
export class RelaySocket {
  readonly frames: Uint8Array[] = [];
  readonly texts: string[] = [];
  /** The relay's handshake (its first text message), kept apart from the texts that follow. */
  hello: RelayHello | null = null;
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    // This compatibility date delivers binary messages as Blob unless told otherwise.
    ws.binaryType = "arraybuffer";
    ws.accept();
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") {
        const hello = this.hello === null ? parseRelayHello(e.data) : null;
        if (hello) this.hello = hello;
        else this.texts.push(e.data);
      }
      // Copy: the event's buffer is not ours to keep once the handler returns.
      else this.frames.push(new Uint8Array((e.data as ArrayBuffer).slice(0)));
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  /** Resolves once `done()` holds; rejects after `ms` so a broken relay fails the test instead of hanging it. */
  async until(done: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export async function openRelay(
  agent: TestAgent,
  peer: string,
  cf?: Record<string, unknown>,
): Promise<RelaySocket> {
  const res = await relayUpgrade(agent.credential, peer, true, cf);
  if (res.status !== 101 || res.webSocket === null) {
    throw new Error(`relay upgrade failed: ${res.status} ${await res.text()}`);
  }
  return new RelaySocket(res.webSocket);
}

export function pairStub(a: string, b: string): DurableObjectStub<PairRelay> {
  return env.RELAY.get(env.RELAY.idFromName(pairName(a, b)));
}
