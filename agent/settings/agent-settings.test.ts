import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parseSettings } from "./agent-settings.ts";

describe("agent settings from values", () => {
  it("reads every recognised key", () => {
    const { settings, problems } = parseSettings(`
logLevel: debug
relay: { mode: always }
persistentKeepalive: 15
mtu: 1280
stunServers: ["10.0.0.1:3478", "stun.example:19302"]
expose:
  - { port: 443, target: "kubernetes.default.svc:443" }
forward:
  - { listen: "127.0.0.1:6443", to: "staging:443" }
  - { listen: 8080, to: "100.64.0.7:80" }
unrelated: { kept: true }
`);
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      logLevel: "debug",
      relayMode: "always",
      persistentKeepaliveSeconds: 15,
      mtu: 1280,
      stunServers: ["10.0.0.1:3478", "stun.example:19302"],
      expose: [{ port: 443, target: "kubernetes.default.svc:443" }],
      forward: [
        { listenHost: "127.0.0.1", listenPort: 6443, peer: "staging", port: 443 },
        { listenHost: "127.0.0.1", listenPort: 8080, peer: "100.64.0.7", port: 80 },
      ],
    });
  });

  it("starts from the base (command-line choices), not from what values set before", () => {
    const base = { ...DEFAULT_SETTINGS, logLevel: "debug" as const };
    expect(parseSettings("mtu: 1300\n", base).settings).toEqual({ ...base, mtu: 1300 });
    expect(parseSettings("logLevel: warn\n", base).settings.logLevel).toBe("warn");
  });

  it("rejects malformed forward entries one by one", () => {
    const { settings, problems } = parseSettings(`
forward:
  - { listen: "localhost:1", to: "a:1" }
  - { listen: 70000, to: "a:1" }
  - { listen: 1, to: "Not_A_Name:1" }
  - { listen: 1, to: "a:0" }
  - "a:1"
  - { listen: "127.0.0.1:9", to: "ok:22" }
`);
    expect(settings.forward).toEqual([{ listenHost: "127.0.0.1", listenPort: 9, peer: "ok", port: 22 }]);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^forward\[0\] needs listen/);
  });

  it("uses defaults for an empty document", () => {
    expect(parseSettings("{}\n")).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    expect(parseSettings("")).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
  });

  it("ignores bad fields one by one and says why", () => {
    const { settings, problems } = parseSettings(`
logLevel: loud
relay: { mode: sometimes }
persistentKeepalive: -1
mtu: 9000
stunServers: [nope]
expose: [{ port: 0, target: x }, { port: 80, target: "web:8080" }]
`);
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, expose: [{ port: 80, target: "web:8080" }] });
    expect(problems).toEqual([
      "logLevel must be one of debug, info, warn, error",
      "relay.mode must be auto, always or never",
      "persistentKeepalive must be whole seconds between 0 and 3600",
      "mtu must be a whole number between 576 and 1420",
      'stunServers must be a list of "host:port"',
      'expose[0] needs port (1-65535) and target "host:port"',
    ]);
  });

  it("keeps the previous settings when the document is broken", () => {
    const prev = { ...DEFAULT_SETTINGS, logLevel: "warn" as const };
    expect(parseSettings("a: [", prev)).toMatchObject({ settings: prev });
    expect(parseSettings("a: [", prev).problems[0]).toMatch(/not valid YAML/);
    expect(parseSettings("- 1\n- 2\n", prev)).toEqual({ settings: prev, problems: ["values are not a map"] });
  });
});
