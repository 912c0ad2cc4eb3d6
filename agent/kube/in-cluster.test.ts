import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectInCluster, InClusterError, inClusterClient } from "./in-cluster.ts";

describe("detectInCluster", () => {
  let dir: string;
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tether-sa-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function mountServiceAccount(files: { token?: string; ca?: string; namespace?: string } = {}) {
    await writeFile(join(dir, "token"), files.token ?? "eyJ.token.sig\n");
    await writeFile(join(dir, "ca.crt"), files.ca ?? "-----BEGIN CERTIFICATE-----\n");
    await writeFile(join(dir, "namespace"), files.namespace ?? "tether");
  }

  it("reads the server, namespace and CA of a pod's service account", async () => {
    await mountServiceAccount();
    const config = await detectInCluster({ env, serviceAccountDir: dir });
    expect(config).toEqual({
      server: "https://10.96.0.1:443",
      namespace: "tether",
      ca: "-----BEGIN CERTIFICATE-----\n",
      tokenFile: join(dir, "token"),
    });
  });

  it("brackets an IPv6 service host", async () => {
    await mountServiceAccount();
    const config = await detectInCluster({
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" },
      serviceAccountDir: dir,
    });
    expect(config?.server).toBe("https://[fd00::1]:6443");
  });

  it("is not in a cluster without the service env or without the token file", async () => {
    expect(await detectInCluster({ env, serviceAccountDir: dir })).toBeNull();
    await mountServiceAccount();
    expect(await detectInCluster({ env: {}, serviceAccountDir: dir })).toBeNull();
    expect(
      await detectInCluster({ env: { KUBERNETES_SERVICE_HOST: "10.96.0.1" }, serviceAccountDir: dir }),
    ).toBeNull();
  });

  it("refuses a bad port, a missing CA and an empty namespace with the file named", async () => {
    await mountServiceAccount({ namespace: " \n" });
    await expect(
      detectInCluster({ env: { ...env, KUBERNETES_SERVICE_PORT: "https" }, serviceAccountDir: dir }),
    ).rejects.toThrow('KUBERNETES_SERVICE_PORT is not a port: "https"');
    await expect(detectInCluster({ env, serviceAccountDir: dir })).rejects.toThrow(
      `${join(dir, "namespace")} is empty`,
    );
    await rm(join(dir, "ca.crt"));
    await expect(detectInCluster({ env, serviceAccountDir: dir })).rejects.toThrow(InClusterError);
    await expect(detectInCluster({ env, serviceAccountDir: dir })).rejects.toThrow(
      /service account's ca\.crt/,
    );
  });

  it("makes a client that refuses a plain-http server", () => {
    expect(() =>
      inClusterClient({
        server: "http://10.96.0.1:80",
        namespace: "x",
        ca: "",
        tokenFile: join(dir, "token"),
      }),
    ).toThrow("Kubernetes API server must be https://");
  });
});
