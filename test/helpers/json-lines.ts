/**
 * Talks to a child that speaks JSON lines (the TS peer, the UDP tool): queues every
 * output object, lets tests wait for one that matches, and sends commands.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export type JsonObject = Record<string, unknown>;

export class JsonLinesChild {
  /** Every object the child printed, in order; tests search it rather than race it. */
  readonly received: JsonObject[] = [];
  private stderrText = "";
  private waiters: { match: (o: JsonObject) => boolean; resolve: (o: JsonObject) => void }[] = [];
  private exitInfo: string | null = null;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let obj: JsonObject;
      try {
        obj = JSON.parse(line) as JsonObject;
      } catch {
        obj = { event: "non-json", line };
      }
      this.received.push(obj);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(obj)) return true;
        w.resolve(obj);
        return false;
      });
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-8000);
    });
    child.once("exit", (code, signal) => {
      this.exitInfo = `exited with ${code ?? signal}`;
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrText;
  }

  send(obj: JsonObject): void {
    this.child.stdin!.write(`${JSON.stringify(obj)}\n`);
  }

  /** Resolves with the first object (already received or future) matching, or rejects after timeoutMs. */
  waitFor(
    match: (o: JsonObject) => boolean,
    what: string,
    timeoutMs = 15_000,
    from = 0,
  ): Promise<JsonObject> {
    const seen = this.received.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (o: JsonObject) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out waiting for ${what}${this.exitInfo ? ` (child ${this.exitInfo})` : ""}; stderr: ${this.stderrText.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a command and waits for the next answer of the given event type. */
  async request(obj: JsonObject, event: string, timeoutMs = 15_000): Promise<JsonObject> {
    const from = this.received.length;
    const answer = this.waitFor(
      (o) => o.event === event || o.event === "error",
      `${event} answer`,
      timeoutMs,
      from,
    );
    this.send(obj);
    const o = await answer;
    if (o.event === "error") throw new Error(`child answered error: ${String(o.message)}`);
    return o;
  }
}
