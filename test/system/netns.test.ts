/** The harness itself: namespaces and veths appear, carry traffic, and vanish on cleanup. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NetnsLab, pollUntil, stopChild } from "../helpers/netns.ts";

function namespaces(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

describe("NetnsLab", () => {
  it("builds two connected namespaces and removes them and their children", async () => {
    const lab = new NetnsLab();
    try {
      const a = await lab.createNamespace("a");
      const b = await lab.createNamespace("b");
      expect(a.name).toMatch(/^tt-[0-9a-f]{6}-a$/);
      expect(namespaces()).toEqual(expect.arrayContaining([a.name, b.name]));
      await lab.connect(a, "10.77.9.1/24", b, "10.77.9.2/24");
      const ping = await a.exec("ping", ["-c", "1", "-W", "5", "10.77.9.2"]);
      expect(ping.stdout).toContain("1 received");
      // The namespace has no route to anything but its own veth.
      const outside = await a.exec("ip", ["route", "get", "1.1.1.1"]);
      expect(outside.code).not.toBe(0);

      const sleeper = b.spawn("sleep", ["300"]);
      await pollUntil("sleeper running", () => sleeper.pid !== undefined);
      const failing = await a.exec("false", []);
      expect(failing.code).toBe(1);
      await expect(a.run("false", [])).rejects.toThrow(/failed \(1\)/);

      await lab.cleanup();
      expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
      expect(namespaces()).not.toContain(a.name);
      expect(namespaces()).not.toContain(b.name);
      await stopChild(sleeper);
    } finally {
      await lab.cleanup();
    }
  });

  it("pollUntil gives up after its bounded tries with a clear message", async () => {
    await expect(pollUntil("never", () => false, { tries: 3, intervalMs: 1 })).rejects.toThrow(
      "timed out waiting for never",
    );
    expect(await pollUntil("soon", () => 42, { tries: 1 })).toBe(42);
  });
});
