import { describe, expect, it } from "vitest";
import { isMeshIp, randomMeshIp } from "./mesh-ip.ts";

describe("randomMeshIp", () => {
  it("stays inside 100.64.0.0/10 and avoids .0 and .255", () => {
    for (let i = 0; i < 2000; i++) {
      const ip = randomMeshIp();
      expect(isMeshIp(ip)).toBe(true);
      expect(ip).not.toMatch(/\.(0|255)$/);
    }
  });

  it("maps the extremes of the offset range to the first and last usable addresses", () => {
    expect(randomMeshIp(() => 1)).toBe("100.64.0.1");
    expect(randomMeshIp(() => (1 << 22) - 2)).toBe("100.127.255.254");
    // Offsets wrap modulo the prefix size rather than escaping it.
    expect(randomMeshIp(() => (1 << 22) + 5)).toBe("100.64.0.5");
  });

  it("draws again when the last octet would be 0 or 255", () => {
    const draws = [0, 255, 256, 7];
    expect(randomMeshIp(() => draws.shift() ?? 7)).toBe("100.64.0.7");
  });
});

describe("isMeshIp", () => {
  it.each([
    ["100.64.0.1", true],
    ["100.127.255.254", true],
    ["100.63.255.255", false],
    ["100.128.0.1", false],
    ["10.0.0.1", false],
    ["100.64.0", false],
    ["100.64.0.01", false],
    ["100.64.0.256", false],
    ["", false],
  ])("%j -> %s", (ip, expected) => {
    expect(isMeshIp(ip)).toBe(expected);
  });
});
