import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Published test vectors (each file names its source), kept in the repo so tests run in any checkout. */
const vectorsDir = fileURLToPath(new URL("./vectors/", import.meta.url));

export function loadVector(name: string): unknown {
  return JSON.parse(readFileSync(vectorsDir + name, "utf8"));
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
