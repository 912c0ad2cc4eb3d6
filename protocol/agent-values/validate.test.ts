import { describe, expect, it } from "vitest";
import { describeIssues, unusedValueKeys, validateAgentValues } from "./validate.ts";

describe("validateAgentValues", () => {
  it("accepts every recognised key in its documented form, and unknown keys", () => {
    expect(
      validateAgentValues({
        logLevel: "debug",
        relay: { mode: "always" },
        persistentKeepalive: 0,
        mtu: 576,
        stunServers: ["10.0.0.1:3478", "[::1]:3478"],
        expose: [{ port: 443, target: "kubernetes.default.svc:443" }],
        forward: [
          { listen: "127.0.0.1:6443", to: "staging:443" },
          { listen: 0, to: "100.64.0.7:80" },
        ],
        image: { tag: "x" },
      }),
    ).toEqual([]);
  });

  it("names each wrong value by its dotted path, one issue per path", () => {
    expect(
      validateAgentValues({
        logLevel: "loud",
        relay: { mode: "sometimes" },
        persistentKeepalive: 1.5,
        mtu: "big",
        stunServers: "stun:1",
        expose: [{ port: 70000, target: "a:1" }, "x"],
        forward: [{ listen: true, to: "Not_A_Name:1" }],
      }),
    ).toEqual([
      { path: "logLevel", message: "must be one of debug, info, warn, error" },
      { path: "relay.mode", message: "must be one of auto, always, never" },
      { path: "persistentKeepalive", message: "must be a whole number" },
      { path: "mtu", message: "must be a whole number" },
      { path: "stunServers", message: "must be a list" },
      { path: "expose.0.port", message: "must be at most 65535" },
      { path: "expose.1", message: "must be a map" },
      { path: "forward.0.listen", message: 'must be a port (0-65535) or "IPv4:port"' },
      { path: "forward.0.to", message: 'must be "cluster:port" or "mesh-IP:port"' },
    ]);
  });

  it("takes a null as a deleted key (a Helm layer's way to remove one), not as a wrong value", () => {
    expect(validateAgentValues({ mtu: null, relay: { mode: null }, expose: null })).toEqual([]);
    expect(validateAgentValues({ stunServers: [null] })).toEqual([
      { path: "stunServers.0", message: "must be a string" },
    ]);
  });

  it("reports a missing required key at the key's own path", () => {
    expect(validateAgentValues({ forward: [{ listen: 80 }] })).toEqual([
      { path: "forward.0.to", message: "is required" },
    ]);
  });

  it("describes issues as path: message lines joined by '; '", () => {
    expect(
      describeIssues([
        { path: "a.b", message: "x" },
        { path: "c", message: "y" },
      ]),
    ).toBe("a.b: x; c: y");
  });
});

describe("unusedValueKeys", () => {
  it("lists the unknown keys at any depth, and not what is under them", () => {
    expect(
      unusedValueKeys({
        mtu: 1280,
        image: { repository: "r", tag: "t" },
        relay: { mode: "auto", region: "eu" },
        expose: [
          { port: 1, target: "a:1" },
          { port: 2, target: "b:2", comment: "x" },
        ],
        "a.b": 1,
      }),
    ).toEqual(["image", "relay.region", "expose.1.comment", "a.b"]);
  });

  it("is empty for the agent's own keys, and does not mistake wrong types for unknown keys", () => {
    expect(unusedValueKeys({ logLevel: "info", relay: "always", expose: "x" })).toEqual([]);
  });
});
