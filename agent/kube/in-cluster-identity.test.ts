import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inClusterIdentity } from "./in-cluster-identity.ts";

// Against a real API server (the chart's RBAC, the Secret, the UID): test/k8s/install.test.ts.
describe("inClusterIdentity", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tether-sa-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is null outside a pod", async () => {
    expect(await inClusterIdentity({ env: {}, serviceAccountDir: dir })).toBeNull();
  });

  it("refuses a state Secret name Kubernetes would refuse", async () => {
    await writeFile(join(dir, "token"), "t");
    await writeFile(join(dir, "ca.crt"), "c");
    await writeFile(join(dir, "namespace"), "tether");
    const env = {
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: "6443",
      TETHER_STATE_SECRET: "Not_A_Name",
    };
    await expect(inClusterIdentity({ env, serviceAccountDir: dir })).rejects.toThrow(
      'TETHER_STATE_SECRET is not a Secret name: "Not_A_Name"',
    );
  });
});
