import { describe, expect, it } from "vitest";
import { isEndpoint, observedEndpoint } from "./endpoint.ts";

describe("isEndpoint", () => {
  it.each([
    "192.0.2.1:51820",
    "10.0.0.1:1",
    "[2001:db8::1]:51820",
    "[fe80::1%eth0]:65535",
    "relay.example.com:443",
    "localhost:8080",
  ])("accepts %j", (text) => {
    expect(isEndpoint(text)).toBe(true);
  });
  it.each([
    "",
    "192.0.2.1",
    "192.0.2.1:0",
    "192.0.2.1:65536",
    "192.0.2.256:1",
    "1.2.3:4",
    "2001:db8::1:51820",
    "[not-v6]:1",
    "host:port",
    "-bad.example:1",
    "a b:1",
    "http://x:1",
    "x:1/path",
  ])("rejects %j", (text) => {
    expect(isEndpoint(text)).toBe(false);
  });
});

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
