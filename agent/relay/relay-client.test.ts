import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  decodeRelayFrame,
  RELAY_FRAME_ADVERTISED,
  RELAY_FRAME_DEFAULT,
  RelayClose,
} from "../../protocol/relay.ts";
import { Backoff } from "../util/backoff.ts";
import { RelayClient } from "./relay-client.ts";

// A loopback stand-in for the platform's upgrade endpoint, so the client's own
// behaviour (batching, reconnects, refusals) can be checked in isolation. The
// real Worker + Durable Object path is covered by the end-to-end tests.
async function fakeRelay(onUpgrade: (req: http.IncomingMessage) => number = () => 101, hello?: string) {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  const frames: Uint8Array[][] = [];
  const auth: string[] = [];
  server.on("upgrade", (req, socket, head) => {
    auth.push(`${req.url} ${req.headers.authorization}`);
    const status = onUpgrade(req);
    if (status !== 101) {
      const body = JSON.stringify({ error: { code: "unauthorized", message: "bad credential" } });
      socket.end(
        `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (hello !== undefined) ws.send(hello);
      ws.on("message", (data, isBinary) => {
        if (!isBinary) {
          if (data.toString() === "ping") ws.send("pong");
          return;
        }
        const b = data as Buffer;
        const ds = decodeRelayFrame(new Uint8Array(b))!;
        frames.push(ds);
        ws.send(b); // echo back like a peer would answer
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    frames,
    auth,
    wss,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(cond: () => boolean, what: string, limit = 5000): Promise<void> {
  const end = Date.now() + limit;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("RelayClient", () => {
  it("authenticates, batches datagrams into frames and delivers the echo", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const got: number[][] = [];
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "staging",
      credential: "tac_secret",
      onDatagram: (d) => got.push([...d]),
    });
    cleanups.push(() => c.stop());
    c.start();
    await until(() => c.state === "open", "open");
    expect(relay.auth).toEqual(["/relay/staging Bearer tac_secret"]);
    expect(c.send(Uint8Array.of(1, 2))).toBe(true);
    c.send(Uint8Array.of(3));
    c.send(Uint8Array.of(4, 5, 6));
    await until(() => got.length === 3, "echo");
    expect(relay.frames).toHaveLength(1); // one frame for the three datagrams
    expect(got).toEqual([[1, 2], [3], [4, 5, 6]]);
    expect(c.sentDatagrams).toBe(3);
    expect(c.receivedDatagrams).toBe(3);
  });

  it("close() ends with a WebSocket close 1000 the relay sees, and never reconnects", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "hub",
      credential: "tac_x",
      onDatagram: () => {},
    });
    c.start();
    await until(() => c.state === "open", "open");
    const seen = new Promise<[number, string]>((resolve) => {
      for (const ws of relay.wss.clients)
        ws.once("close", (code, reason) => resolve([code, reason.toString()]));
    });
    await c.close();
    expect(await seen).toEqual([1000, "agent stopping"]);
    expect(c.state).toBe("closed");
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.auth).toHaveLength(1);
    // Closing again, or a client that never connected, is a no-op.
    await c.close();
    const idle = new RelayClient({
      platformUrl: relay.url,
      peer: "hub",
      credential: "tac_x",
      onDatagram: () => {},
    });
    await idle.close();
    expect(idle.state).toBe("closed");
  });

  it("drops instead of queueing while down, and reconnects after the server drops it", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "p",
      credential: "tac_x",
      onDatagram: () => {},
      backoff: new Backoff(10, 50),
    });
    cleanups.push(() => c.stop());
    expect(c.send(Uint8Array.of(1))).toBe(false);
    expect(c.droppedDatagrams).toBe(1);
    let opens = 0;
    const closes: number[] = [];
    c.on("open", () => opens++);
    c.on("close", (code) => closes.push(code));
    c.start();
    await until(() => opens === 1, "open");
    for (const ws of relay.wss.clients) ws.close(1012, "deploy");
    await until(() => opens === 2, "reopen");
    expect(closes).toEqual([1012]);
    expect(c.reconnects).toBe(1);
    expect(relay.auth).toHaveLength(2);
  });

  it("stops for good when refused or revoked", async () => {
    const refusing = await fakeRelay(() => 401);
    cleanups.push(refusing.close);
    const c = new RelayClient({
      platformUrl: refusing.url,
      peer: "p",
      credential: "bad",
      onDatagram: () => {},
    });
    cleanups.push(() => c.stop());
    const refused = new Promise<[number, string]>((r) => c.once("refused", (s, m) => r([s, m])));
    c.on("error", () => {});
    c.start();
    expect(await refused).toEqual([401, "bad credential"]);
    expect(c.state).toBe("closed");

    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const d = new RelayClient({ platformUrl: relay.url, peer: "p", credential: "ok", onDatagram: () => {} });
    cleanups.push(() => d.stop());
    d.start();
    await until(() => d.state === "open", "open");
    const revoked = new Promise<number>((r) => d.once("refused", (s) => r(s)));
    for (const ws of relay.wss.clients) ws.close(RelayClose.revoked, "credential revoked");
    expect(await revoked).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(d.state).toBe("closed");
    expect(relay.auth).toHaveLength(1);
  });

  it("counts malformed frames from the relay and keeps going", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const got: Uint8Array[] = [];
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "p",
      credential: "ok",
      onDatagram: (d) => got.push(d),
    });
    cleanups.push(() => c.stop());
    c.start();
    await until(() => c.state === "open", "open");
    for (const ws of relay.wss.clients) {
      ws.send(Buffer.from([0, 9, 1]));
      ws.send(Buffer.from([0, 1, 7]));
    }
    await until(() => got.length === 1, "good frame");
    expect(c.malformedFrames).toBe(1);
    expect([...got[0]!]).toEqual([7]);
  });

  it("batches up to the frame size the relay's hello allows, and 64 KiB before one", async () => {
    const hello = JSON.stringify({
      type: "hello",
      maxFrame: RELAY_FRAME_ADVERTISED,
      placement: { locationHint: "weur", jurisdiction: "eu", worstKm: 420, basis: "both" },
    });
    for (const [label, helloText, frames] of [
      ["no hello", undefined, 4],
      ["hello", hello, 1],
    ] as const) {
      const relay = await fakeRelay(undefined, helloText);
      cleanups.push(relay.close);
      let got = 0;
      const c = new RelayClient({
        platformUrl: relay.url,
        peer: "p",
        credential: "ok",
        onDatagram: () => got++,
      });
      cleanups.push(() => c.stop());
      c.start();
      await until(() => c.state === "open", `open (${label})`);
      if (helloText) await until(() => c.maxFrame === RELAY_FRAME_ADVERTISED, "hello");
      else await new Promise((r) => setTimeout(r, 50));
      // 150 datagrams of 1,400 bytes in one turn: 210,300 bytes framed.
      for (let i = 0; i < 150; i++) c.send(new Uint8Array(1400).fill(i));
      await until(() => got === 150, `echo (${label})`);
      expect(relay.frames.map((f) => f.length).reduce((a, b) => a + b, 0)).toBe(150);
      expect(relay.frames).toHaveLength(frames);
      if (helloText)
        expect(c.placement).toEqual({
          locationHint: "weur",
          jurisdiction: "eu",
          worstKm: 420,
          basis: "both",
        });
      else expect(c.maxFrame).toBe(RELAY_FRAME_DEFAULT);
    }
  });

  it("reconnects at once, with no backoff, after a clean 1001 or 1012 close; other closes back off", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "p",
      credential: "ok",
      onDatagram: () => {},
      // A backoff this long would fail the test if the reconnect used it.
      backoff: new Backoff(60_000, 60_000, () => 1),
    });
    cleanups.push(() => c.stop());
    let opens = 0;
    c.on("open", () => opens++);
    c.start();
    await until(() => opens === 1, "open");
    for (const code of [1001, 1012]) {
      await new Promise((r) => setTimeout(r, 1_100)); // a socket that lived (not a failing relay)
      const before = opens;
      for (const ws of relay.wss.clients) ws.close(code, "restart");
      await until(() => opens === before + 1, `reopen after ${code}`, 2_000);
    }
    expect(relay.auth).toHaveLength(3);
    for (const ws of relay.wss.clients) ws.close(1011, "error");
    await new Promise((r) => setTimeout(r, 500));
    expect(opens).toBe(3);
    expect(c.state).toBe("closed");
  });

  it("makes the new socket before it breaks the old one on reconnectNow()", async () => {
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    const got: number[] = [];
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "p",
      credential: "ok",
      onDatagram: (d) => got.push(d[0]!),
    });
    cleanups.push(() => c.stop());
    const events: string[] = [];
    c.on("open", () => events.push("open"));
    c.on("close", () => events.push("close"));
    c.start();
    await until(() => c.state === "open", "open");
    const [first] = [...relay.wss.clients];
    const firstClosed = new Promise<number>((r) => first!.once("close", (code) => r(code)));
    c.reconnectNow();
    // The old socket still carries while the new one opens.
    expect(c.state).toBe("open");
    expect(c.send(Uint8Array.of(1))).toBe(true);
    await until(() => relay.auth.length === 2, "second connection");
    expect(await firstClosed).toBe(1000);
    expect(c.state).toBe("open");
    expect(c.send(Uint8Array.of(2))).toBe(true);
    await until(() => got.includes(2), "datagram on the new socket");
    expect(events).toEqual(["open"]);
    expect(c.reconnects).toBe(1);
  });

  it("waits for its replacement when the relay closes the old socket first (4000), without a backoff", async () => {
    // Like the pair relay: a new socket from the same side closes the old one with 4000 at once.
    const relay = await fakeRelay();
    cleanups.push(relay.close);
    relay.wss.on("connection", (fresh) => {
      for (const old of relay.wss.clients) if (old !== fresh) old.close(RelayClose.replaced, "replaced");
    });
    const c = new RelayClient({
      platformUrl: relay.url,
      peer: "p",
      credential: "ok",
      onDatagram: () => {},
      backoff: new Backoff(60_000, 60_000, () => 1),
    });
    cleanups.push(() => c.stop());
    c.start();
    await until(() => c.state === "open", "open");
    c.reconnectNow();
    await until(() => relay.auth.length === 2, "second connection");
    await until(() => c.state === "open" && relay.wss.clients.size === 1, "on the new socket");
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.auth).toHaveLength(2);
    expect(c.state).toBe("open");
    expect(c.send(Uint8Array.of(1))).toBe(true);
  });
});
