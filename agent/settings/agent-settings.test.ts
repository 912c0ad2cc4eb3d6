import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parseSettings } from "./agent-settings.ts";

describe("agent settings from values", () => {
  it("reads every recognised key", () => {
    const { settings, applied, problems } = parseSettings(`
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
    expect(applied).toEqual([
      "logLevel",
      "relay.mode",
      "persistentKeepalive",
      "mtu",
      "stunServers",
      "expose.0",
      "forward.0",
      "forward.1",
    ]);
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
    expect(problems).toEqual([
      { path: "forward.0.listen", message: 'must be a port (0-65535) or "IPv4:port"' },
      { path: "forward.1.listen", message: 'must be a port (0-65535) or "IPv4:port"' },
      { path: "forward.2.to", message: 'must be "cluster:port" or "mesh-IP:port"' },
      { path: "forward.4", message: "must be a map" },
      { path: "forward.3", message: "has a port outside 1-65535" },
    ]);
  });

  it("uses defaults for an empty document", () => {
    expect(parseSettings("{}\n")).toEqual({ settings: DEFAULT_SETTINGS, applied: [], problems: [] });
    expect(parseSettings("")).toEqual({ settings: DEFAULT_SETTINGS, applied: [], problems: [] });
  });

  it("ignores bad fields one by one and says why", () => {
    const { settings, applied, problems } = parseSettings(`
logLevel: loud
relay: { mode: sometimes }
persistentKeepalive: -1
mtu: 9000
stunServers: [nope]
expose: [{ port: 0, target: x }, { port: 80, target: "web:8080" }]
`);
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, expose: [{ port: 80, target: "web:8080" }] });
    expect(applied).toEqual(["expose.1"]);
    expect(problems).toEqual([
      { path: "logLevel", message: "must be one of debug, info, warn, error" },
      { path: "relay.mode", message: "must be one of auto, always, never" },
      { path: "persistentKeepalive", message: "must be at least 0" },
      { path: "mtu", message: "must be at most 1420" },
      { path: "stunServers.0", message: 'must be "host:port"' },
      { path: "expose.0.port", message: "must be at least 1" },
      { path: "expose.0.target", message: 'must be "host:port"' },
    ]);
  });

  it("keeps the previous settings when the document is broken", () => {
    const prev = { ...DEFAULT_SETTINGS, logLevel: "warn" as const };
    expect(parseSettings("a: [", prev)).toMatchObject({ settings: prev });
    expect(parseSettings("a: [", prev).problems[0]?.message).toMatch(/not valid YAML/);
    expect(parseSettings("- 1\n- 2\n", prev)).toEqual({
      settings: prev,
      applied: [],
      problems: [{ path: "", message: "values are not a map" }],
    });
  });

  it("reports a port the schema's pattern lets through but no socket takes", () => {
    const { settings, problems } = parseSettings(
      'stunServers: ["a:99999"]\nexpose: [{ port: 1, target: "b:0" }]\n',
    );
    expect(settings.stunServers).toEqual([]);
    expect(problems).toEqual([
      { path: "stunServers", message: "has a port outside 1-65535" },
      { path: "expose.0.target", message: "has a port outside 1-65535" },
    ]);
  });

  it("takes a null as an absent key: the default applies, nothing is reported", () => {
    expect(parseSettings("mtu: null\nrelay: { mode: null }\n")).toEqual({
      settings: DEFAULT_SETTINGS,
      applied: [],
      problems: [],
    });
  });
});
