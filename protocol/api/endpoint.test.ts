import { describe, expect, it } from "vitest";
import { isEndpoint } from "./endpoint.ts";

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
