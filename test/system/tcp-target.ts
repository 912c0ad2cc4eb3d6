/**
 * Runs the services behind the TS peer's expose rules inside the TS namespace,
 * on 127.0.0.1 (see tcp-services.ts), plus HTTP_PORT: GET / -> "hello from
 * behind the expose". Prints {"event":"ready"} once all three listen.
 *
 *   tcp-target.ts [HOST SINK_PORT SOURCE_PORT]
 *
 * With arguments, the sink and source listen there instead (for a kernel peer
 * whose services sit on its tunnel address).
 */
import { createServer as createHttp } from "node:http";
import { HTTP_PORT, SINK_PORT, SOURCE_PORT, sinkServer, sourceServer } from "../helpers/tcp-services.ts";

const [host = "127.0.0.1", sinkArg, sourceArg] = process.argv.slice(2);
const http = createHttp((_req, res) => res.end("hello from behind the expose"));
let ready = 0;
const up = () => {
  if (++ready === 3) console.log(JSON.stringify({ event: "ready" }));
};
http.listen(HTTP_PORT, "127.0.0.1", up);
sinkServer().listen(sinkArg ? Number(sinkArg) : SINK_PORT, host, up);
sourceServer().listen(sourceArg ? Number(sourceArg) : SOURCE_PORT, host, up);
