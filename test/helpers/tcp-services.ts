/**
 * The TCP services the tests put behind an expose rule, shared by the system
 * tests (run in the TS namespace by tcp-target.ts) and the end-to-end tests:
 *   sink:   reads until FIN, answers "<bytes> <sha256>"
 *   source: reads one line "<bytes> <seed>", sends that stream (tcp-stream.ts), closes
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:net";
import { streamChunks } from "./tcp-stream.ts";

export const HTTP_PORT = 8000;
export const SINK_PORT = 9000;
export const SOURCE_PORT = 9001;

export function sinkServer(): Server {
  return createServer({ allowHalfOpen: true }, (sock) => {
    const h = createHash("sha256");
    let n = 0;
    sock.on("data", (c) => {
      h.update(c);
      n += c.length;
    });
    sock.on("end", () => sock.end(`${n} ${h.digest("hex")}`));
    sock.on("error", () => {});
  });
}

export function sourceServer(): Server {
  return createServer((sock) => {
    let line = "";
    const onData = (c: Buffer) => {
      line += c.toString();
      const i = line.indexOf("\n");
      if (i < 0) return;
      sock.off("data", onData);
      const [bytes, seed] = line.slice(0, i).split(" ");
      const next = streamChunks(seed ?? "", Number(bytes));
      const pump = () => {
        for (let c = next(); c; c = next()) if (!sock.write(c)) return void sock.once("drain", pump);
        sock.end();
      };
      pump();
    };
    sock.on("data", onData);
    sock.on("error", () => {});
  });
}
