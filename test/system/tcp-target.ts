/**
 * Services behind the TS peer's expose rules, run inside the TS namespace on
 * 127.0.0.1:
 *   HTTP_PORT   GET /  -> "hello from behind the expose"
 *   SINK_PORT   reads until FIN, answers "<bytes> <sha256>"
 *   SOURCE_PORT reads one line "<bytes> <seed>", sends that stream (tcp-stream.ts), closes
 * Prints {"event":"ready"} once all three listen.
 */
import { createHash } from "node:crypto";
import { createServer as createHttp } from "node:http";
import { createServer } from "node:net";
import { streamChunks } from "./tcp-stream.ts";

export const HTTP_PORT = 8000;
export const SINK_PORT = 9000;
export const SOURCE_PORT = 9001;

const http = createHttp((_req, res) => res.end("hello from behind the expose"));
const sink = createServer({ allowHalfOpen: true }, (sock) => {
  const h = createHash("sha256");
  let n = 0;
  sock.on("data", (c) => {
    h.update(c);
    n += c.length;
  });
  sock.on("end", () => sock.end(`${n} ${h.digest("hex")}`));
  sock.on("error", () => {});
});
const source = createServer((sock) => {
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

let ready = 0;
const up = () => {
  if (++ready === 3) console.log(JSON.stringify({ event: "ready" }));
};
http.listen(HTTP_PORT, "127.0.0.1", up);
sink.listen(SINK_PORT, "127.0.0.1", up);
source.listen(SOURCE_PORT, "127.0.0.1", up);
