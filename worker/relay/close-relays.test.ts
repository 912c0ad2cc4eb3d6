import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { RelayClose } from "../../protocol/relay.ts";
import { createDb } from "../db/client.ts";
import { call, clearLocalClusters, putConfig } from "../test/http.ts";
import { openRelay, registeredAgent, type TestAgent } from "../test/pair-relay.ts";
import { closeRelaysOf, relayPeersOf } from "./close-relays.ts";

const db = () => createDb(env.DB);

let hub: TestAgent;
let spoke: TestAgent;
let quiet: TestAgent;

beforeEach(async () => {
  await putConfig("peering: hub\nagentValues: {}\n");
  await clearLocalClusters();
  hub = await registeredAgent("hub", true);
  spoke = await registeredAgent("spoke");
  quiet = await registeredAgent("quiet");
});

describe("relay pairs a cluster can hold sockets in", () => {
  it("are the pairs it connected through, from either side, and none for a cluster that never relayed", async () => {
    await openRelay(spoke, hub.cluster);
    expect(await relayPeersOf(db(), spoke.cluster)).toEqual([hub.cluster]);
    expect(await relayPeersOf(db(), hub.cluster)).toEqual([spoke.cluster]);
    expect(await relayPeersOf(db(), quiet.cluster)).toEqual([]);
  });

  it("closeRelaysOf closes the cluster's sockets with 4001 and leaves its peer's socket open", async () => {
    const mine = await openRelay(spoke, hub.cluster);
    const theirs = await openRelay(hub, spoke.cluster);
    expect(await closeRelaysOf(env, db(), spoke.cluster)).toBe(1);
    await mine.until(() => mine.closed !== null, "the cluster's socket closed");
    expect(mine.closed?.code).toBe(RelayClose.revoked);
    expect(theirs.closed).toBeNull();
    // A cluster that never relayed has nothing to close, and no object is asked.
    expect(await closeRelaysOf(env, db(), quiet.cluster)).toBe(0);
  });

  it("a deleted cluster's pair rows go with it, after its sockets were closed", async () => {
    const mine = await openRelay(spoke, hub.cluster);
    expect((await call("DELETE", `/api/v1/clusters/${spoke.cluster}`)).status).toBe(204);
    await mine.until(() => mine.closed !== null, "closed on delete");
    expect(mine.closed?.code).toBe(RelayClose.revoked);
    expect(await relayPeersOf(db(), hub.cluster)).toEqual([]);
  });
});
