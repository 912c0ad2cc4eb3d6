/**
 * `npm run image`: the agent as an OCI image, built without a Docker engine and without a registry.
 * The root filesystem comes from this machine (rootfs.ts); umoci (Debian package) writes the OCI
 * image layout, and skopeo exports it as an oci-archive that `podman load` and `skopeo copy` take.
 *
 *   dist/image/oci/                  the OCI image layout, tag = the package version
 *   dist/image/tether-VERSION.tar    the same image as an oci-archive
 *
 * Entrypoint: node /app/tether.mjs as uid 65532; the state (identity) lives in the volume
 * /var/lib/tether, so the root filesystem can be read-only; the health endpoint listens on :8081.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE, buildBundle } from "../build.ts";
import { APP_PATH, assembleRootfs, CA_BUNDLE, IMAGE_UID, NODE_PATH, STATE_DIR } from "./rootfs.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const IMAGE_DIR = join(root, "dist", "image");
export const HEALTH_PORT = 8081;

export interface BuiltImage {
  layout: string;
  tag: string;
  /** `oci:LAYOUT:TAG`, the reference umoci and skopeo take. */
  ref: string;
  archive: string;
  /** Bytes of the layout's blobs (compressed layer, config, manifest): what a registry stores. */
  blobBytes: number;
  /** Bytes of the unpacked root filesystem. */
  rootfsBytes: number;
  labels: Record<string, string>;
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export async function buildImage(): Promise<BuiltImage> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  const tag = pkg.version;
  const layout = join(IMAGE_DIR, "oci");
  const ref = `${layout}:${tag}`;
  const bundleDir = join(IMAGE_DIR, "bundle");
  const archive = join(IMAGE_DIR, `tether-${tag}.tar`);
  const revision = git(["rev-parse", "HEAD"]) ?? "unknown";
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]);
  const labels = {
    "org.opencontainers.image.title": "tether agent",
    "org.opencontainers.image.version": tag,
    // Where the sources are: the origin remote when this checkout has one, else the npm package.
    "org.opencontainers.image.source": git(["remote", "get-url", "origin"]) ?? `pkg:npm/${pkg.name}@${tag}`,
    "org.opencontainers.image.revision": dirty ? `${revision}-dirty` : revision,
  };

  await buildBundle();
  await rm(IMAGE_DIR, { recursive: true, force: true });
  await mkdir(IMAGE_DIR, { recursive: true });
  const umoci = (...args: string[]) =>
    execFileSync("umoci", args, { stdio: ["ignore", "ignore", "inherit"] });
  umoci("init", "--layout", layout);
  umoci("new", "--image", ref);
  // Not root: umoci maps ownership in user space; as root the files keep root ownership.
  const rootless = process.getuid?.() === 0 ? [] : ["--rootless"];
  umoci("unpack", ...rootless, "--image", ref, bundleDir);
  const rootfs = join(bundleDir, "rootfs");
  await assembleRootfs(rootfs, { bundle: BUNDLE });
  const rootfsBytes = await treeBytes(rootfs);
  umoci("repack", "--image", ref, bundleDir);
  await rm(bundleDir, { recursive: true, force: true });
  umoci(
    "config",
    "--image",
    ref,
    "--author=tether",
    `--config.user=${IMAGE_UID}:${IMAGE_UID}`,
    `--config.entrypoint=${NODE_PATH}`,
    `--config.entrypoint=${APP_PATH}`,
    "--config.cmd=--help",
    `--config.workingdir=${STATE_DIR}`,
    `--config.volume=${STATE_DIR}`,
    `--config.exposedports=${HEALTH_PORT}/tcp`,
    // HOME puts the default state dir (~/.tether) in the volume; the health endpoint is on in the image.
    `--config.env=HOME=${STATE_DIR}`,
    `--config.env=TETHER_HEALTH_LISTEN=:${HEALTH_PORT}`,
    `--config.env=NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
    ...Object.entries(labels).map(([k, v]) => `--config.label=${k}=${v}`),
    ...Object.entries(labels).map(([k, v]) => `--manifest.annotation=${k}=${v}`),
  );
  umoci("gc", "--layout", layout);
  execFileSync(
    "skopeo",
    ["--insecure-policy", "copy", "--quiet", `oci:${ref}`, `oci-archive:${archive}:tether:${tag}`],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return {
    layout,
    tag,
    ref,
    archive,
    blobBytes: await treeBytes(join(layout, "blobs")),
    rootfsBytes,
    labels,
  };
}

const MiB = 1024 * 1024;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const img = await buildImage();
  const archiveBytes = (await stat(img.archive)).size;
  console.log(`OCI image layout ${img.layout} (tag ${img.tag})`);
  console.log(`oci-archive      ${img.archive} (${(archiveBytes / MiB).toFixed(1)} MiB)`);
  console.log(
    `size: ${(img.blobBytes / MiB).toFixed(1)} MiB compressed, ${(img.rootfsBytes / MiB).toFixed(1)} MiB unpacked`,
  );
  for (const [k, v] of Object.entries(img.labels)) console.log(`label ${k}=${v}`);
  console.log(
    `load it: podman load -i ${img.archive}   or   skopeo copy oci-archive:${img.archive} docker://REGISTRY/tether:${img.tag}`,
  );
}
