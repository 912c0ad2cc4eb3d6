import { describe, expect, it } from "vitest";
import { parsePeerArgs } from "./args.ts";

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

const INLINE = [
  "--private-key",
  KEY_A,
  "--listen-port",
  "51820",
  "--address",
  "100.64.0.2/10",
  "--peer-public-key",
  KEY_B,
  "--peer-endpoint",
  "10.77.0.1:51821",
  "--allowed-ips",
  "100.64.0.1/32",
  "--psk",
  KEY_B,
  "--keepalive",
  "25",
  "--mtu",
  "1400",
  "--udp-listen",
  "5000",
  "--udp-listen",
  "5001",
];

describe("parsePeerArgs", () => {
  it("builds a config from inline flags", () => {
    expect(parsePeerArgs(INLINE)).toEqual({
      privateKey: KEY_A,
      listenPort: 51820,
      address: "100.64.0.2/10",
      mtu: 1400,
      udpListen: [5000, 5001],
      expose: [],
      peers: [
        {
          name: "peer1",
          publicKey: KEY_B,
          presharedKey: KEY_B,
          endpoint: { host: "10.77.0.1", port: 51821 },
          allowedIps: ["100.64.0.1/32"],
          persistentKeepaliveSeconds: 25,
        },
      ],
    });
  });

  it("takes --expose PORT=HOST:PORT, repeatable, and refuses anything else", () => {
    const c = parsePeerArgs([...INLINE, "--expose", "8080=127.0.0.1:80", "--expose", "5201=localhost:5201"]);
    expect(c.expose).toEqual([
      { port: 8080, target: "127.0.0.1:80" },
      { port: 5201, target: "localhost:5201" },
    ]);
    for (const bad of ["8080", "8080=host", "0=h:1", "80=h:70000", "x=h:1"]) {
      expect(() => parsePeerArgs([...INLINE, "--expose", bad])).toThrow(/--expose/);
    }
  });

  it("reads a config file and lets --listen-port and --udp-listen add to it", () => {
    const file = `[Interface]\nPrivateKey=${KEY_A}\nAddress=100.64.0.2/10\nListenPort=1\n[Peer]\nPublicKey=${KEY_B}\nAllowedIPs=100.64.0.1/32\n`;
    const c = parsePeerArgs(["--config", "x.conf", "--listen-port", "0", "--udp-listen", "9"], () => file);
    expect(c.listenPort).toBe(0);
    expect(c.udpListen).toEqual([9]);
    expect(c.peers).toHaveLength(1);
  });

  it("prefixes config file errors with the file name", () => {
    expect(() => parsePeerArgs(["--config", "bad.conf"], () => "[Interface]\nnonsense\n")).toThrow(
      'bad.conf: line 2: expected "Key = Value", got "nonsense"',
    );
    expect(() =>
      parsePeerArgs(["--config", "missing.conf"], () => {
        throw new Error("ENOENT");
      }),
    ).toThrow("cannot read missing.conf: ENOENT");
  });

  it("rejects mixing --config with inline settings, unknown flags and missing ones", () => {
    expect(() => parsePeerArgs(["--config", "x", "--psk", KEY_A], () => "")).toThrow(
      "--config cannot be combined with --psk",
    );
    expect(() => parsePeerArgs(["--bogus"])).toThrow(/Unknown option '--bogus'/);
    expect(() => parsePeerArgs(["--private-key", KEY_A])).toThrow("missing --address (or use --config FILE)");
    expect(() => parsePeerArgs(INLINE.map((a) => (a === "5001" ? "x" : a)))).toThrow(
      '--udp-listen must be a port number, got "x"',
    );
  });
});
