/**
 * What a command needs from the outside world. Passed in (rather than using
 * process.* directly) so the whole CLI can run inside a test process too.
 */

import { PlatformClient } from "../control/platform-client.ts";
import { UsageError } from "./errors.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of stdin as UTF-8. */
  readStdin(): Promise<string>;
  stdinIsTty: boolean;
  env: Record<string, string | undefined>;
}

export interface GlobalOptions {
  platform: string;
  accessKey?: string;
  json?: boolean;
}

export interface CommandContext {
  io: CliIo;
  json: boolean;
  platform: string;
  /** A client that carries the access key; fails with a usage error when none was given. */
  client(): PlatformClient;
  /** Prints a value as pretty JSON with a trailing newline. */
  printJson(value: unknown): void;
}

export function makeContext(io: CliIo, globals: GlobalOptions): CommandContext {
  return {
    io,
    json: globals.json === true,
    platform: globals.platform,
    client() {
      if (!globals.accessKey) {
        throw new UsageError("no access key: pass --access-key KEY or set TETHER_ACCESS_KEY");
      }
      return new PlatformClient({ baseUrl: globals.platform, accessKey: globals.accessKey });
    },
    printJson(value) {
      io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
