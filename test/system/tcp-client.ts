/**
 * TCP client for the system tests, run inside the wireguard-go namespace:
 *   send HOST PORT BYTES SEED -> streams BYTES to a sink, half-closes, prints its answer
 *   recv HOST PORT BYTES SEED -> asks a source for BYTES, hashes what arrives
 * An optional sixth argument paces `send` to that many bytes per second, so a
 * transfer lasts long enough to cross events (path switches) in the middle.
 * Prints one JSON line: {bytes, sha256, answer?, seconds}.
 */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { streamChunks } from "../helpers/tcp-stream.ts";

const [mode, host, port, bytesArg, seed, rateArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
const rate = rateArg ? Number(rateArg) : 0;
const started = performance.now();
const sock = connect({ host: host!, port: Number(port), allowHalfOpen: true });
const h = createHash("sha256");
let received = 0;
const chunks: Buffer[] = [];
sock.setTimeout(120_000, () => sock.destroy(new Error("idle for 120 s")));
sock.on("error", (e) => {
  console.log(JSON.stringify({ error: e.message }));
  process.exit(1);
});
sock.on("data", (c: Buffer) => {
  if (mode === "recv") {
    h.update(c);
    received += c.length;
  } else chunks.push(c);
});
sock.on("end", () => {
  const seconds = (performance.now() - started) / 1000;
  if (mode === "recv") console.log(JSON.stringify({ bytes: received, sha256: h.digest("hex"), seconds }));
  else console.log(JSON.stringify({ bytes, answer: Buffer.concat(chunks).toString(), seconds }));
  sock.end();
});
sock.on("connect", () => {
  if (mode === "recv") {
    sock.write(`${bytes} ${seed}\n`);
    return;
  }
  const next = streamChunks(seed!, bytes);
  let sent = 0;
  const pump = () => {
    for (let c = next(); c; c = next()) {
      sent += c.length;
      const ok = sock.write(c);
      const ahead = rate > 0 ? (sent / rate) * 1000 - (performance.now() - started) : 0;
      if (ahead > 0) return void setTimeout(() => (ok ? pump() : sock.once("drain", pump)), ahead);
      if (!ok) return void sock.once("drain", pump);
    }
    sock.end();
  };
  pump();
});
