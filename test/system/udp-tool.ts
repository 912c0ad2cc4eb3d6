/**
 * A tiny UDP client/listener run inside a test namespace, driven by JSON lines:
 *   {"cmd":"bind","port":9000}                                  -> {"event":"bound","port":9000}
 *   {"cmd":"send","port":9000,"dst":"100.64.0.2:7","dataHex":""} -> {"event":"sent"}
 * Every datagram received on a bound port is printed as
 *   {"event":"udp","port":9000,"from":"100.64.0.2:7","dataHex":"..."}
 */
import { createSocket, type Socket } from "node:dgram";
import { createInterface } from "node:readline";

const sockets = new Map<number, Socket>();

function print(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  let msg: { cmd?: string; port?: number; dst?: string; dataHex?: string };
  try {
    msg = JSON.parse(line);
  } catch {
    print({ event: "error", message: "not JSON" });
    return;
  }
  if (msg.cmd === "bind" && typeof msg.port === "number") {
    const port = msg.port;
    const s = createSocket("udp4");
    s.on("message", (data, rinfo) =>
      print({ event: "udp", port, from: `${rinfo.address}:${rinfo.port}`, dataHex: data.toString("hex") }),
    );
    s.on("error", (err) => print({ event: "error", message: err.message }));
    s.bind(port, () => {
      sockets.set(port, s);
      print({ event: "bound", port });
    });
  } else if (msg.cmd === "send" && typeof msg.port === "number" && typeof msg.dst === "string") {
    const s = sockets.get(msg.port);
    const m = /^(.+):(\d+)$/.exec(msg.dst);
    if (!s || !m) {
      print({ event: "error", message: "bind first, and dst must be host:port" });
      return;
    }
    s.send(Buffer.from(msg.dataHex ?? "", "hex"), Number(m[2]), m[1], (err) =>
      print(err ? { event: "error", message: err.message } : { event: "sent" }),
    );
  } else {
    print({ event: "error", message: `bad command: ${line}` });
  }
});
process.stdin.on("end", () => {
  for (const s of sockets.values()) s.close();
  process.exit(0);
});
