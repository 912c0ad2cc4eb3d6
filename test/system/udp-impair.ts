/**
 * A lossy, slow, reordering link for the underlay, in user space: this kernel
 * has no sch_netem, so `tc netem` cannot be used. It applies netem's model to
 * every datagram in both directions: drop with probability LOSS; otherwise
 * send at once with probability REORDER, else after DELAY_MS (so the
 * undelayed ones overtake, as `netem delay 5ms reorder 25%` does).
 *
 *   node --import tsx test/system/udp-impair.ts LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT LOSS REORDER DELAY_MS
 *
 * Datagrams to LISTEN go to TARGET from a second socket; TARGET's answers go back
 * to whoever last sent to LISTEN. Prints {"event":"ready"}, then counters every second.
 */
import { createSocket, type RemoteInfo } from "node:dgram";

const [listenHost, listenPort, targetHost, targetPort, lossArg, reorderArg, delayArg] = process.argv.slice(2);
const loss = Number(lossArg);
const reorder = Number(reorderArg);
const delayMs = Number(delayArg);
const outer = createSocket({ type: "udp4", recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
const inner = createSocket({ type: "udp4", recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
let client: RemoteInfo | null = null;
const counters = { in: 0, dropped: 0, immediate: 0, delayed: 0 };

function impaired(send: () => void): void {
  counters.in++;
  if (Math.random() < loss) {
    counters.dropped++;
    return;
  }
  // No delay: send at once rather than through a 0 ms timer, which would batch and add a tick.
  if (delayMs === 0 || Math.random() < reorder) {
    counters.immediate++;
    send();
  } else {
    counters.delayed++;
    setTimeout(send, delayMs);
  }
}

outer.on("message", (msg, rinfo) => {
  client = rinfo;
  impaired(() => inner.send(msg, Number(targetPort), targetHost));
});
inner.on("message", (msg) => {
  const to = client;
  if (to) impaired(() => outer.send(msg, to.port, to.address));
});
outer.bind(Number(listenPort), listenHost, () =>
  inner.bind(0, "127.0.0.1", () => console.log(JSON.stringify({ event: "ready" }))),
);
setInterval(() => console.log(JSON.stringify({ event: "counters", ...counters })), 1000).unref();
