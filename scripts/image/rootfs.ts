/**
 * The image's root filesystem, assembled from this machine: its Node runtime (process.execPath) and
 * the shared libraries `ldd` reports for it, an /etc with a non-root user, the CA certificates, and
 * the bundle. No package manager, shell or registry is involved.
 */
import { execFileSync } from "node:child_process";
import { chmod, chown, copyFile, mkdir, realpath, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The user the agent runs as (the distroless "nonroot" convention). */
export const IMAGE_UID = 65532;
export const STATE_DIR = "/var/lib/tether";
export const NODE_PATH = "/usr/local/bin/node";
export const APP_PATH = "/app/tether.mjs";
export const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Absolute paths of the shared objects a dynamically linked program loads, per `ldd`. */
export function sharedLibraries(program: string): string[] {
  const out = execFileSync("ldd", [program], { encoding: "utf8" });
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)";
    // linux-vdso has no file.
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m) libs.push(m[1]!);
    else if (/not found/.test(line)) throw new Error(`ldd ${program}: ${line.trim()}`);
  }
  return libs;
}

async function put(rootfs: string, path: string, from: string, mode = 0o755): Promise<void> {
  const to = join(rootfs, path);
  await mkdir(dirname(to), { recursive: true });
  // The file a symlink points to, stored under the path the loader asks for.
  await copyFile(await realpath(from), to);
  await chmod(to, mode);
}

async function write(rootfs: string, path: string, text: string, mode = 0o644): Promise<void> {
  const to = join(rootfs, path);
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, text, { mode });
  await chmod(to, mode);
}

export interface RootfsInputs {
  bundle: string;
  node?: string;
  caBundle?: string;
}

export async function assembleRootfs(rootfs: string, inputs: RootfsInputs): Promise<void> {
  const node = inputs.node ?? process.execPath;
  await put(rootfs, NODE_PATH, node);
  for (const lib of sharedLibraries(node)) await put(rootfs, lib, lib);
  await put(rootfs, APP_PATH, inputs.bundle, 0o644);
  await put(rootfs, CA_BUNDLE, inputs.caBundle ?? CA_BUNDLE, 0o644);
  await write(
    rootfs,
    "/etc/passwd",
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${IMAGE_UID}:${IMAGE_UID}:tether agent:${STATE_DIR}:/sbin/nologin\n`,
  );
  await write(rootfs, "/etc/group", `root:x:0:\nnonroot:x:${IMAGE_UID}:\n`);
  // glibc resolves names through these; runtimes mount /etc/hosts and /etc/resolv.conf.
  await write(rootfs, "/etc/nsswitch.conf", "hosts: files dns\n");
  // Mount points a runtime fills, and the only writable place the agent needs (its identity).
  for (const dir of ["/proc", "/dev", "/sys", "/tmp"]) await mkdir(join(rootfs, dir), { recursive: true });
  await chmod(join(rootfs, "/tmp"), 0o1777);
  await mkdir(join(rootfs, STATE_DIR), { recursive: true });
  await chown(join(rootfs, STATE_DIR), IMAGE_UID, IMAGE_UID);
  await chmod(join(rootfs, STATE_DIR), 0o700);
}

// `node --import tsx scripts/image/rootfs.ts OUTDIR`: the same root filesystem for the Dockerfile.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: rootfs.ts OUTDIR   (after npm run build)");
    process.exit(2);
  }
  await assembleRootfs(out, {
    bundle: join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "tether.mjs"),
  });
}
