/**
 * The NAT lab's STUN server, run inside its "internet" namespace:
 *   node --import tsx test/system/stun-responder.ts HOST PORT
 * Answers Binding requests with the source address it sees, which behind a
 * NAT router is the router's public mapping. Prints {"event":"ready"}.
 */
import { startStunServer } from "../helpers/stun-server.ts";

const [host, port] = process.argv.slice(2);
await startStunServer({ bindHost: host ?? "0.0.0.0", port: Number(port ?? 3478) });
console.log(JSON.stringify({ event: "ready" }));
