/**
 * The OCI image from `npm run image`, run the way a runtime would, without one: the image is
 * unpacked with umoci, and its entrypoint runs from the unpacked root filesystem in a private mount
 * namespace, chrooted, as the image's user (65532), with the root mounted read-only and only the state
 * volume writable. (podman cannot run containers in this sandbox: crun's setrlimit needs
 * CAP_SYS_RESOURCE.) It connects to a local platform on loopback next to a hub agent, the cluster
 * comes online and answers pings through the tunnel, then SIGTERM ends it with exit code 0 and a
 * WebSocket close on each relay socket, seen on the wire in front of the platform.
 */
import { execFileSync } from "node:child_process";
import { chown, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltImage, buildImage } from "../../scripts/image/build-image.ts";
import { createCluster, getCluster } from "../helpers/admin-api.ts";
import { type AgentProcess, startAgent, waitFor } from "../helpers/agent-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { type RelayTap, startRelayTap } from "../helpers/relay-tap.ts";

interface RuntimeSpec {
  process: { user: { uid: number; gid: number }; args: string[]; env: string[] };
}

/**
 * Mounts what a runtime would (a /dev with the basic devices, /proc, a /tmp, the state volume), makes
 * the root read-only, then chroots and drops to the image's user. Every step execs the next, so the
 * spawned pid ends up being the agent itself; the mounts go away with the namespace.
 */
const LAUNCH = `set -e
R="$1"; S="$2"; U="$3"; shift 3
mount --bind "$R" "$R"
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for d in null zero random urandom; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
mount --bind "$S" "$R/var/lib/tether"
mount -o remount,bind,ro "$R"
exec chroot --userspec="$U:$U" --groups="$U" "$R" "$@"`;

let image: BuiltImage;
let work: string;
let platform: Platform;
let tap: RelayTap;
let hub: AgentProcess;
let edge: AgentProcess;
let spec: RuntimeSpec;
const agents: AgentProcess[] = [];

async function blob(digest: string): Promise<Buffer> {
  return readFile(join(image.layout, "blobs", ...digest.split(":")));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tether-image-"));
  [image, platform] = await Promise.all([buildImage(), startPlatform()]);
  execFileSync("umoci", ["unpack", "--image", image.ref, join(work, "bundle")], { stdio: "ignore" });
  spec = JSON.parse(await readFile(join(work, "bundle", "config.json"), "utf8")) as RuntimeSpec;
  tap = await startRelayTap(platform.url);
}, 300_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await platform?.stop();
  await tap?.close();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe("the OCI image", () => {
  it("has tether as the entrypoint, a non-root user, OCI labels, and no shell", async () => {
    const index = JSON.parse(await readFile(join(image.layout, "index.json"), "utf8"));
    expect(index.manifests[0].annotations["org.opencontainers.image.ref.name"]).toBe(image.tag);
    const manifest = JSON.parse((await blob(index.manifests[0].digest)).toString("utf8"));
    const config = JSON.parse((await blob(manifest.config.digest)).toString("utf8"));
    expect(config.config.User).toBe("65532:65532");
    expect(config.config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/tether.mjs"]);
    expect(config.config.Volumes).toEqual({ "/var/lib/tether": {} });
    expect(config.config.Env).toContain("TETHER_HEALTH_LISTEN=:8081");
    const labels = config.config.Labels as Record<string, string>;
    expect(labels["org.opencontainers.image.version"]).toBe("0.1.0");
    expect(labels["org.opencontainers.image.source"]).toBeTruthy();
    expect(labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(spec.process.user).toEqual({ uid: 65532, gid: 65532 });
    const rootfs = join(work, "bundle", "rootfs");
    await expect(stat(join(rootfs, "bin", "sh"))).rejects.toThrow(/ENOENT/);
    const state = await stat(join(rootfs, "var", "lib", "tether"));
    expect([state.uid, state.mode & 0o777]).toEqual([65532, 0o700]);
    console.log(
      `image: ${(image.blobBytes / 2 ** 20).toFixed(1)} MiB compressed, ${(image.rootfsBytes / 2 ** 20).toFixed(1)} MiB unpacked`,
    );
  });

  it("runs its entrypoint as 65532 on a read-only root until the cluster is connected", async () => {
    const [hubPsk, edgePsk] = await Promise.all([
      createCluster(platform, "hub", true),
      createCluster(platform, "edge"),
    ]);
    hub = await startAgent({ platform: platform.url, cluster: "hub", psk: hubPsk });
    agents.push(hub);
    const volume = join(work, "volume");
    execFileSync("mkdir", ["-m", "0700", volume]);
    await chown(volume, 65532, 65532);
    const healthPort = await freePort();
    const env = Object.fromEntries(
      spec.process.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    edge = await startAgent({
      platform: tap.url,
      cluster: "edge",
      psk: edgePsk,
      stateDir: volume,
      stateArg: "/var/lib/tether",
      // The image's entrypoint, exactly as its config says (the rest of its args are `agent up ...`).
      command: [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        LAUNCH,
        "sh",
        join(work, "bundle", "rootfs"),
        volume,
        String(spec.process.user.uid),
        ...spec.process.args.slice(0, -1),
      ],
      // The image's environment; only the health port moves off :8081 so it cannot collide here.
      env: { ...env, PATH: `${env.PATH}`, TETHER_HEALTH_LISTEN: `127.0.0.1:${healthPort}` },
    });
    agents.push(edge);
    const pid = edge.child.pid!;
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    const rootMount = (await readFile(`/proc/${pid}/mountinfo`, "utf8"))
      .split("\n")
      .find((l) => l.split(" ")[4] === "/");
    expect(rootMount?.split(" ")[5]?.split(",")).toContain("ro");
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    expect(argv.slice(0, 2)).toEqual(["/usr/local/bin/node", "/app/tether.mjs"]);
    expect(argv).toContain("up");

    expect(
      await waitFor("edge online", async () => (await getCluster(platform, "edge")).status.online, 15_000),
    ).toBe(true);
    const ping = await waitFor(
      "a ping from the hub to the agent in the image",
      async () => {
        const r = await hub.ping({ target: "edge", count: 1, timeoutMs: 1_000 });
        return r.received === 1 ? r : null;
      },
      20_000,
    );
    expect(ping.probes[0]!.ok).toBe(true);
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    expect(ready.status).toBe(200);
    // The identity went to the volume, the only writable place.
    expect((await stat(join(volume, "agent-state.json"))).uid).toBe(65532);
    await waitFor("a relay socket through the tap", async () => tap.relays.length > 0, 15_000);
  });

  it("stops on SIGTERM with exit code 0, closing its relay sockets with 1000", async () => {
    const open = tap.relays.filter((r) => !r.ended);
    expect(open.length).toBeGreaterThan(0);
    edge.child.kill("SIGTERM");
    expect(await edge.exited).toBe(0);
    await waitFor("the tap to see the relay sockets end", async () => open.every((r) => r.ended), 5_000);
    expect(open.map((r) => [r.path, r.closeCode])).toEqual(open.map(() => ["/relay/hub", 1000]));
  });
});
