import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConnectProxy, startConnectProxy } from "../../test/helpers/connect-proxy.ts";
import { agentFor, proxyFor } from "./proxy-agent.ts";

function listen(server: http.Server): Promise<number> {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
}

function get(url: string, agent: http.Agent | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

describe("proxy selection", () => {
  it("follows the scheme and NO_PROXY", () => {
    const env = {
      HTTPS_PROXY: "http://proxy:3128",
      HTTP_PROXY: "proxy2:8080",
      NO_PROXY: "internal.example,.corp",
    };
    expect(proxyFor(new URL("wss://relay.example/relay/a"), env)?.host).toBe("proxy:3128");
    expect(proxyFor(new URL("https://relay.example"), env)?.host).toBe("proxy:3128");
    expect(proxyFor(new URL("http://relay.example"), env)?.host).toBe("proxy2:8080");
    expect(proxyFor(new URL("https://internal.example"), env)).toBeNull();
    expect(proxyFor(new URL("https://a.b.corp"), env)).toBeNull();
    expect(proxyFor(new URL("https://x.example"), {})).toBeNull();
    expect(() => proxyFor(new URL("https://x"), { HTTPS_PROXY: "socks5://p:1" })).toThrow(/only http/);
  });
});

describe("CONNECT tunnelling", () => {
  const target = http.createServer((req, res) => res.end(`hello ${req.url}`));
  let proxy: ConnectProxy;
  let targetPort = 0;

  beforeAll(async () => {
    targetPort = await listen(target);
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    target.closeAllConnections();
    target.close();
    await proxy.close();
  });

  it("reaches the target through the proxy, with credentials", async () => {
    const url = `http://127.0.0.1:${targetPort}/x`;
    const agent = agentFor(new URL(url), { HTTP_PROXY: `http://u%40s:p%3Aw@127.0.0.1:${proxy.port}` });
    expect(agent).toBeDefined();
    const r = await get(url, agent);
    expect(r).toEqual({ status: 200, body: "hello /x" });
    expect(proxy.seen.at(-1)).toBe(
      `127.0.0.1:${targetPort} Basic ${Buffer.from("u@s:p:w").toString("base64")}`,
    );
    agent?.destroy();
  });

  it("reports a refused CONNECT as one clear error", async () => {
    proxy.refuse = true;
    const url = `http://127.0.0.1:${targetPort}/y`;
    const agent = agentFor(new URL(url), { HTTP_PROXY: `http://127.0.0.1:${proxy.port}` });
    await expect(get(url, agent)).rejects.toThrow(/proxy refused CONNECT to 127\.0\.0\.1:\d+: 403/);
    proxy.refuse = false;
    agent?.destroy();
  });
});
