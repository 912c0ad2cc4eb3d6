/**
 * A minimal POSIX ustar writer: regular files only, fixed owner, mode and time, so the same files
 * always give the same bytes. Enough for a Helm chart archive; not a general tar implementation.
 */

const BLOCK = 512;

export interface TarFile {
  /** Path inside the archive, "/"-separated, no leading "/". */
  path: string;
  data: Uint8Array;
}

/** Every entry gets this modification time (seconds since the epoch), so builds are reproducible. */
export const TAR_MTIME = 0;

function field(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new Error(`tar header field too long: ${text}`);
  header.set(bytes, offset);
}

/** A NUL-terminated octal number filling `length` bytes. */
function octal(header: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar header number too large: ${value}`);
  field(header, offset, length, `${digits.padStart(length - 1, "0")}\0`);
}

/** Splits a path into ustar's name (100 bytes) and prefix (155 bytes) at a "/". */
function splitPath(path: string): { name: string; prefix: string } {
  const encoded = new TextEncoder().encode(path);
  if (encoded.length <= 100) return { name: path, prefix: "" };
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (new TextEncoder().encode(name).length <= 100 && new TextEncoder().encode(prefix).length <= 155)
      return { name, prefix };
  }
  throw new Error(`path too long for a ustar archive: ${path}`);
}

function header(file: TarFile): Uint8Array {
  if (file.path === "" || file.path.startsWith("/") || file.path.split("/").includes("..")) {
    throw new Error(`unsafe path in tar archive: ${JSON.stringify(file.path)}`);
  }
  const h = new Uint8Array(BLOCK);
  const { name, prefix } = splitPath(file.path);
  field(h, 0, 100, name);
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, file.data.length);
  octal(h, 136, 12, TAR_MTIME);
  field(h, 148, 8, "        "); // the checksum is computed with its own field as spaces
  field(h, 156, 1, "0"); // regular file
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  field(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** The archive: each file's header and data padded to 512 bytes, then two zero blocks. */
export function tar(files: readonly TarFile[]): Uint8Array {
  const size = files.reduce((n, f) => n + BLOCK + Math.ceil(f.data.length / BLOCK) * BLOCK, 2 * BLOCK);
  const out = new Uint8Array(size);
  let at = 0;
  for (const file of files) {
    out.set(header(file), at);
    at += BLOCK;
    out.set(file.data, at);
    at += Math.ceil(file.data.length / BLOCK) * BLOCK;
  }
  return out;
}
