import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { connectInstructions } from "./connect.ts";

const psk = `tpsk_${"a".repeat(43)}`;

describe("connectInstructions", () => {
  it("prints the documented CLI form", () => {
    const out = connectInstructions({ platformUrl: "http://127.0.0.1:8787", cluster: "staging", psk });
    expect(out.cli).toBe(
      `TETHER_PSK=${psk} npx tether agent up --platform http://127.0.0.1:8787 --cluster staging`,
    );
    // Nothing secret in the agent's argv (/proc/PID/cmdline is world-readable).
    expect(out.cli.split("npx")[1]).not.toContain(psk);
    expect(out.kubectl).not.toContain("--psk");
  });

  it("gives Helm values with platform.url, cluster.name and cluster.psk", () => {
    const out = connectInstructions({ platformUrl: "https://tether.example.com", cluster: "edge-1", psk });
    expect(parse(out.helmValues)).toEqual({
      platform: { url: "https://tether.example.com" },
      cluster: { name: "edge-1", psk },
    });
  });

  it("gives a kubectl heredoc whose manifests are valid YAML carrying the same values", () => {
    const out = connectInstructions({ platformUrl: "https://tether.example.com", cluster: "edge-1", psk });
    const lines = out.kubectl.split("\n");
    expect(lines[0]).toBe("kubectl apply -f - <<'EOF'");
    expect(lines.at(-1)).toBe("EOF");
    const docs = lines
      .slice(1, -1)
      .join("\n")
      .split(/^---$/m)
      .map((d) => parse(d) as { kind: string; stringData?: Record<string, string> });
    expect(docs.map((d) => d.kind)).toEqual(["Namespace", "Secret", "Deployment"]);
    expect(docs[1]?.stringData).toEqual({
      TETHER_PLATFORM: "https://tether.example.com",
      TETHER_CLUSTER: "edge-1",
      TETHER_PSK: psk,
    });
  });

  it("shell-quotes a platform URL that a shell would otherwise split or expand", () => {
    const out = connectInstructions({ platformUrl: "https://x.example/a b?$HOME", cluster: "c", psk });
    expect(out.cli).toContain("--platform 'https://x.example/a b?$HOME' --cluster c");
  });
});
