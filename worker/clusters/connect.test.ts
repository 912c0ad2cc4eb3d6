import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { connectInstructions, valuesUrl } from "./connect.ts";

const psk = `tpsk_${"a".repeat(43)}`;
const valuesKey = `tak_${"b".repeat(43)}`;

function forPlatform(platformUrl: string, cluster = "staging") {
  return connectInstructions({
    platformUrl,
    cluster,
    psk,
    valuesKey,
    chartUrl: `${platformUrl}/charts/tether-agent-0.1.0.tgz`,
  });
}

describe("connectInstructions", () => {
  it("prints the Helm command: the platform's chart, the tether namespace, --set, then the values URL", () => {
    const out = forPlatform("https://tether.example.com");
    expect(out.helm).toBe(
      "helm upgrade --install tether-agent https://tether.example.com/charts/tether-agent-0.1.0.tgz" +
        " -n tether --create-namespace --set platform.url=https://tether.example.com" +
        ` --set cluster.name=staging --set cluster.psk=${psk}` +
        ` --values "https://tether.example.com/clusters/agent-values/staging?token=${valuesKey}"`,
    );
    expect(out.chartUrl).toBe("https://tether.example.com/charts/tether-agent-0.1.0.tgz");
    expect(out.valuesUrl).toBe(`https://tether.example.com/clusters/agent-values/staging?token=${valuesKey}`);
  });

  it("renders the kubectl form from the same chart: namespace first, then helm template | kubectl apply", () => {
    const out = forPlatform("https://tether.example.com");
    const [namespace, apply] = out.kubectl.split("\n");
    expect(namespace).toBe("kubectl create namespace tether --dry-run=client -o yaml | kubectl apply -f -");
    const helmArgs = out.helm.replace(
      /^helm upgrade --install tether-agent (\S+) -n tether --create-namespace /,
      "$1 -n tether ",
    );
    expect(apply).toBe(`helm template tether-agent ${helmArgs} | kubectl apply -n tether -f -`);
  });

  it("prints the CLI form for the installed program, the PSK in the environment, never npx", () => {
    const out = forPlatform("http://127.0.0.1:8787");
    expect(out.cli).toBe(
      `TETHER_PSK=${psk} tether agent up --platform http://127.0.0.1:8787 --cluster staging`,
    );
    expect(`${out.cli}\n${out.helm}\n${out.kubectl}`).not.toContain("npx");
    // Nothing secret in the agent's argv (/proc/PID/cmdline is world-readable).
    expect(out.cli.split("tether agent up")[1]).not.toContain(psk);
  });

  it("gives Helm values with platform.url, cluster.name and cluster.psk", () => {
    const out = forPlatform("https://tether.example.com", "edge-1");
    expect(parse(out.helmValues)).toEqual({
      platform: { url: "https://tether.example.com" },
      cluster: { name: "edge-1", psk },
    });
  });

  it("shell-quotes a platform URL that a shell would otherwise split or expand", () => {
    const out = forPlatform("https://x.example/a b?$HOME");
    expect(out.cli).toContain("--platform 'https://x.example/a b?$HOME' --cluster staging");
    expect(out.helm).toContain("--set 'platform.url=https://x.example/a b?$HOME'");
    expect(out.helm).toContain(`--values 'https://x.example/a b?$HOME/clusters/agent-values/staging?token=`);
  });

  it("escapes helm --set separators and keeps an all-digit cluster name a string", () => {
    const out = forPlatform("https://x.example/a,b", "1234");
    expect(out.helm).toContain("--set 'platform.url=https://x.example/a\\,b'");
    expect(out.helm).toContain("--set-string cluster.name=1234");
  });

  it("puts the key in the values URL percent-encoded and drops a trailing slash of the platform URL", () => {
    expect(valuesUrl("https://p.example/", "c", "a+b/c")).toBe(
      "https://p.example/clusters/agent-values/c?token=a%2Bb%2Fc",
    );
  });
});
