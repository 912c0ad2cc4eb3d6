import { describe, expect, it } from "vitest";
import { observedEndpoint } from "./endpoint.ts";

describe("observedEndpoint", () => {
  it("pairs the connecting address with the agent's UDP port", () => {
    expect(observedEndpoint("198.51.100.7", 51820)).toBe("198.51.100.7:51820");
    expect(observedEndpoint(" 198.51.100.7 ", 1)).toBe("198.51.100.7:1");
    expect(observedEndpoint("2001:db8::7", 51820)).toBe("[2001:db8::7]:51820");
  });
  it.each([
    [undefined, 51820],
    ["198.51.100.7", undefined],
    ["", 51820],
    ["not-an-ip", 51820],
    ["198.51.100.7, 10.0.0.1", 51820],
    ["999.1.1.1", 51820],
  ])("is null for %j / %j", (ip, port) => {
    expect(observedEndpoint(ip, port)).toBeNull();
  });
});
