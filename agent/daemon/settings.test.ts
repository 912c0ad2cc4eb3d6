import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parseSettings } from "./settings.ts";

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
    });
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
