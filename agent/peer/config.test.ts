import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigFile, parseEndpoint } from "./config.ts";

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");
const KEY_C = Buffer.alloc(32, 3).toString("base64");

const GOOD = `
# a comment
[Interface]
PrivateKey = ${KEY_A}
ListenPort = 51820
Address = 100.64.0.2/10, fd00::2/64
MTU = 1380
DNS = 1.1.1.1

[Peer]
PublicKey = ${KEY_B}
PresharedKey = ${KEY_C}
Endpoint = 10.77.0.1:51820
AllowedIPs = 100.64.0.1/32, ::/0
PersistentKeepalive = 25

[peer]
publickey = ${KEY_C}   # trailing comment
allowedips = 100.64.1.0/24
allowedips = 100.64.2.0/24
`;

function errorOf(text: string): string {
  try {
    parseConfigFile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfigFile", () => {
  it("parses a wg-quick file with several peers", () => {
    expect(parseConfigFile(GOOD)).toEqual({
      privateKey: KEY_A,
      listenPort: 51820,
      address: "100.64.0.2/10",
      mtu: 1380,
      udpListen: [],
      expose: [],
      peers: [
        {
          name: "peer1",
          publicKey: KEY_B,
          presharedKey: KEY_C,
          endpoint: { host: "10.77.0.1", port: 51820 },
          allowedIps: ["100.64.0.1/32"],
          persistentKeepaliveSeconds: 25,
        },
        { name: "peer2", publicKey: KEY_C, allowedIps: ["100.64.1.0/24", "100.64.2.0/24"] },
      ],
    });
  });

  it("defaults the listen port and MTU", () => {
    const c = parseConfigFile(`[Interface]\nPrivateKey=${KEY_A}\nAddress=100.64.0.2/32\n`);
    expect(c.listenPort).toBe(0);
    expect(c.mtu).toBe(1420);
    expect(c.peers).toEqual([]);
  });

  it("names the line of each mistake", () => {
    expect(errorOf(`[Interface]\nPrivateKey = ${KEY_A}\nAddress 100.64.0.2/10\n`)).toBe(
      'line 3: expected "Key = Value", got "Address 100.64.0.2/10"',
    );
    expect(errorOf(`[Interface]\nPrivateKey = nope\n`)).toMatch(
      /^line 2: PrivateKey must be a base64 WireGuard key/,
    );
    expect(errorOf(`[Interface]\nListenPort = 70000\n`)).toBe(
      'line 2: ListenPort must be a port number, got "70000"',
    );
    expect(errorOf(`[Interface]\nMTU = 100\n`)).toMatch(/^line 2: MTU must be between/);
    expect(errorOf(`[Interface]\nFoo = 1\n`)).toBe('line 2: unknown [Interface] key "Foo"');
    expect(errorOf(`[Intrface]\n`)).toBe("line 1: unknown section [Intrface]");
    expect(errorOf(`PrivateKey = ${KEY_A}\n`)).toBe('line 1: "PrivateKey" outside of any section');
    expect(errorOf(`[Interface]\n[Interface]\n`)).toBe("line 2: a second [Interface] section");
    expect(errorOf(`[Interface]\nAddress = fd00::1/64\n`)).toMatch(
      /^line 2: Address "fd00::1\/64" has no IPv4/,
    );
    expect(errorOf(`[Interface]\n\n[Peer]\nEndpoint = nowhere\n`)).toBe(
      'line 4: endpoint must look like host:port, got "nowhere"',
    );
    expect(errorOf(`[Interface]\n[Peer]\nAllowedIPs = 100.64.0.1/40\n`)).toBe(
      'line 3: AllowedIPs entry "100.64.0.1/40" is not an IPv4 prefix',
    );
    expect(errorOf(`[Interface]\n[Peer]\nPersistentKeepalive = soon\n`)).toMatch(
      /^line 3: PersistentKeepalive/,
    );
    expect(errorOf(`[Interface]\n[Peer]\nAllowedIPs = 100.64.0.1/32\n`)).toBe(
      "line 2: [Peer] has no PublicKey",
    );
  });

  it("reports missing required settings", () => {
    expect(errorOf("")).toBe("no [Interface] section");
    expect(errorOf("[Interface]\nAddress = 100.64.0.2/10\n")).toBe("[Interface] has no PrivateKey");
    expect(errorOf(`[Interface]\nPrivateKey = ${KEY_A}\n`)).toBe("[Interface] has no Address");
  });

  it("never echoes a whole key in an error", () => {
    const almostKey = `${KEY_A.slice(0, 40)}AAA=`;
    expect(errorOf(`[Interface]\nPrivateKey = ${almostKey}\n`)).not.toContain(almostKey);
  });

  it("treats PersistentKeepalive 0 and off as disabled", () => {
    for (const v of ["0", "off"]) {
      const c = parseConfigFile(
        `[Interface]\nPrivateKey=${KEY_A}\nAddress=100.64.0.2/10\n[Peer]\nPublicKey=${KEY_B}\nPersistentKeepalive=${v}\n`,
      );
      expect(c.peers[0]!.persistentKeepaliveSeconds).toBeUndefined();
    }
  });
});

describe("parseEndpoint", () => {
  it("accepts host:port and [v6]:port", () => {
    expect(parseEndpoint("example.test:51820")).toEqual({ host: "example.test", port: 51820 });
    expect(parseEndpoint("[fd00::1]:7")).toEqual({ host: "fd00::1", port: 7 });
    expect(() => parseEndpoint("fd00::1:7")).toThrow(/host:port/);
    expect(() => parseEndpoint("h:0")).toThrow(/port number/);
  });
});
