/**
 * Linux's TCP as the peer of the user-space TCP stack, through wireguard-go:
 * clients in the wireguard-go namespace (curl, iperf3, a Node client) reach
 * services behind the TypeScript peer's `--expose` rules, which run on
 * 127.0.0.1 inside the TS namespace. Everything stays inside the namespaces
 * this test creates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonLinesChild, type JsonObject } from "../helpers/json-lines.ts";
import { pollUntil, stopChild } from "../helpers/netns.ts";
import { HTTP_PORT, SINK_PORT, SOURCE_PORT } from "../helpers/tcp-services.ts";
import { streamSha256 } from "../helpers/tcp-stream.ts";
import {
  buildTopology,
  REPO_ROOT,
  type Topology,
  TS_PORT,
  TS_TUNNEL,
  TS_UNDERLAY,
} from "../helpers/topology.ts";

const EXPOSED_HTTP = 8080;
const EXPOSED_SINK = 7000;
const EXPOSED_SOURCE = 7001;
const EXPOSED_IPERF = 5201;
const MB = 1024 * 1024;

let t: Topology;
let target: JsonLinesChild;
let iperfServer: ReturnType<Topology["tsNs"]["spawn"]>;

function tcpClient(mode: "send" | "recv", port: number, bytes: number, seed: string, timeoutMs: number) {
  return clientIn(t, mode, port, bytes, seed, timeoutMs);
}

/** Runs tcp-client.ts inside the wireguard-go namespace of `topo` against the TS peer's tunnel address. */
async function clientIn(
  topo: Topology,
  mode: "send" | "recv",
  port: number,
  bytes: number,
  seed: string,
  timeoutMs: number,
) {
  const r = await topo.wgNs.exec(
    "node",
    [
      "--import",
      "tsx",
      `${REPO_ROOT}/test/system/tcp-client.ts`,
      mode,
      TS_TUNNEL,
      String(port),
      String(bytes),
      seed,
    ],
    timeoutMs,
  );
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0) throw new Error(`tcp-client ${mode} failed (${r.code}): ${line} ${r.stderr}`);
  return JSON.parse(line) as { bytes: number; sha256?: string; answer?: string; seconds: number };
}

beforeAll(async () => {
  t = await buildTopology({
    wgKnowsEndpoint: true,
    tsKnowsEndpoint: true,
    tsExpose: [
      `${EXPOSED_HTTP}=127.0.0.1:${HTTP_PORT}`,
      `${EXPOSED_SINK}=127.0.0.1:${SINK_PORT}`,
      `${EXPOSED_SOURCE}=127.0.0.1:${SOURCE_PORT}`,
      `${EXPOSED_IPERF}=127.0.0.1:5201`,
    ],
  });
  target = new JsonLinesChild(
    t.tsNs.spawn("node", ["--import", "tsx", "test/system/tcp-target.ts"], { cwd: REPO_ROOT }),
  );
  await target.waitFor((o) => o.event === "ready", "services behind the expose", 30_000);
  iperfServer = t.tsNs.spawn("iperf3", ["-s", "-B", "127.0.0.1", "-p", "5201"]);
  iperfServer.stdout?.resume();
  iperfServer.stderr?.resume();
  await t.ts.request({ cmd: "handshake" }, "ok");
  await t.ts.waitFor((o) => o.event === "handshake-complete", "handshake", 20_000);
  await pollUntil("iperf3 server up", async () =>
    (await t.tsNs.exec("ss", ["-ltn"])).stdout.includes(":5201"),
  );
}, 120_000);

afterAll(async () => {
  if (iperfServer) await stopChild(iperfServer);
  if (target) await stopChild(target.child);
  await t?.teardown();
});

describe("Linux TCP through wireguard-go to the TS peer's expose", () => {
  it("curl gets the HTTP service behind the expose", async () => {
    const out = await t.wgNs.run("curl", ["-sS", "--max-time", "20", `http://${TS_TUNNEL}:${EXPOSED_HTTP}/`]);
    expect(out).toBe("hello from behind the expose");
  });

  it("a port that is not exposed is refused at once (RST)", async () => {
    const r = await t.wgNs.exec("curl", ["-sS", "--max-time", "10", `http://${TS_TUNNEL}:8081/`]);
    expect(r.code).toBe(7); // curl: failed to connect (connection refused), not a timeout (28)
    expect(r.stderr).toMatch(/refused|Couldn't connect/i);
  });

  it("iperf3 runs through the expose to an iperf3 server", async () => {
    const out = await t.wgNs.run(
      "iperf3",
      ["-c", TS_TUNNEL, "-p", String(EXPOSED_IPERF), "-t", "3", "-J"],
      60_000,
    );
    const j = JSON.parse(out) as {
      error?: string;
      end: { sum_received: { bytes: number; bits_per_second: number } };
    };
    expect(j.error).toBeUndefined();
    expect(j.end.sum_received.bytes).toBeGreaterThan(0);
    console.log(
      `iperf3 through wireguard-go -> TS expose: ${(j.end.sum_received.bits_per_second / 1e6).toFixed(0)} Mbit/s`,
    );
  }, 90_000);

  it("16 MB each way byte-exact on a clean link", async () => {
    const up = await tcpClient("send", EXPOSED_SINK, 16 * MB, "clean-up", 120_000);
    expect(up.answer).toBe(`${16 * MB} ${streamSha256("clean-up", 16 * MB)}`);
    const down = await tcpClient("recv", EXPOSED_SOURCE, 16 * MB, "clean-down", 120_000);
    expect(down).toMatchObject({ bytes: 16 * MB, sha256: streamSha256("clean-down", 16 * MB) });
  }, 240_000);
});

describe("under loss 5%, reorder 25%, delay 5 ms (netem's model, applied by a user-space proxy)", () => {
  // This kernel has no sch_netem ("Specified qdisc kind is unknown"), so the underlay between
  // wireguard-go and the TS peer runs through test/system/udp-impair.ts instead.
  const IMPAIR_PORT = 51999;
  let lossy: Topology;
  let services: JsonLinesChild;
  let impair: JsonLinesChild;

  beforeAll(async () => {
    lossy = await buildTopology({
      wgKnowsEndpoint: true,
      tsKnowsEndpoint: false,
      wgEndpointPort: IMPAIR_PORT,
      tsExpose: [`${EXPOSED_SINK}=127.0.0.1:${SINK_PORT}`, `${EXPOSED_SOURCE}=127.0.0.1:${SOURCE_PORT}`],
    });
    impair = new JsonLinesChild(
      lossy.tsNs.spawn(
        "node",
        [
          "--import",
          "tsx",
          "test/system/udp-impair.ts",
          TS_UNDERLAY,
          String(IMPAIR_PORT),
          "127.0.0.1",
          String(TS_PORT),
          "0.05",
          "0.25",
          "5",
        ],
        { cwd: REPO_ROOT },
      ),
    );
    await impair.waitFor((o) => o.event === "ready", "impairing proxy", 30_000);
    services = new JsonLinesChild(
      lossy.tsNs.spawn("node", ["--import", "tsx", "test/system/tcp-target.ts"], { cwd: REPO_ROOT }),
    );
    await services.waitFor((o) => o.event === "ready", "services behind the expose", 30_000);
  }, 120_000);

  afterAll(async () => {
    if (services) await stopChild(services.child);
    if (impair) await stopChild(impair.child);
    await lossy?.teardown();
  });

  // 100 MB each way is what the issue asks; it takes 5-20 minutes here, so CI runs 16 MB and
  // TETHER_LOSSY_MB=100 npm run test:system runs the full size.
  const lossyMb = Number(process.env.TETHER_LOSSY_MB ?? 16);
  it(`carries ${lossyMb} MB each way byte-exact`, async () => {
    const bytes = lossyMb * MB;
    const run = (mode: "send" | "recv", port: number, seed: string) =>
      clientIn(lossy, mode, port, bytes, seed, 900_000);
    const up = await run("send", EXPOSED_SINK, "lossy-up");
    expect(up.answer).toBe(`${bytes} ${streamSha256("lossy-up", bytes)}`);
    const down = await run("recv", EXPOSED_SOURCE, "lossy-down");
    expect(down.bytes).toBe(bytes);
    expect(down.sha256).toBe(streamSha256("lossy-down", bytes));
    const counters = impair.received.filter((o) => o.event === "counters").at(-1);
    const tcp = ((await lossy.ts.request({ cmd: "stats" }, "stats")) as JsonObject).tcp;
    console.log(
      `${lossyMb} MB under loss: up ${(bytes / MB / up.seconds).toFixed(2)} MB/s, down ${(bytes / MB / down.seconds).toFixed(2)} MB/s; link ${JSON.stringify(counters)}; TS tcp ${JSON.stringify(tcp)}`,
    );
    expect(Number(counters?.dropped)).toBeGreaterThan(0);
  }, 1_900_000);
});
