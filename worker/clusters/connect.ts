import { stringify } from "yaml";
import type { ConnectInstructions } from "../../protocol/api.ts";

/**
 * The PSK registers any number of agents for its cluster until it is rotated (it is not
 * single-use); it is shown once because the platform keeps only its hash.
 */
export interface ConnectInput {
  platformUrl: string;
  cluster: string;
  psk: string;
}

// Cluster names and PSKs are [a-z0-9-] and base64url by construction; the URL is
// admin-configurable, so it is the one part that may need quoting for a shell.
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

export function connectInstructions({ platformUrl, cluster, psk }: ConnectInput): ConnectInstructions {
  // The PSK goes in the environment, not argv: /proc/PID/cmdline is readable by every local user,
  // /proc/PID/environ only by the agent's own user.
  const cli = `TETHER_PSK=${psk} npx tether agent up --platform ${shellWord(platformUrl)} --cluster ${cluster}`;
  const helmValues = stringify({ platform: { url: platformUrl }, cluster: { name: cluster, psk } });
  const manifest = [
    "apiVersion: v1",
    "kind: Namespace",
    "metadata:",
    "  name: tether",
    "---",
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: tether-agent",
    "  namespace: tether",
    "stringData:",
    `  TETHER_PLATFORM: ${JSON.stringify(platformUrl)}`,
    `  TETHER_CLUSTER: ${JSON.stringify(cluster)}`,
    `  TETHER_PSK: ${JSON.stringify(psk)}`,
    "---",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: tether-agent",
    "  namespace: tether",
    "spec:",
    "  replicas: 1",
    "  selector:",
    "    matchLabels: {app: tether-agent}",
    "  template:",
    "    metadata:",
    "      labels: {app: tether-agent}",
    "    spec:",
    "      containers:",
    "        - name: agent",
    "          image: node:20-slim",
    '          command: ["sh", "-c", "npx --yes tether agent up --platform \\"$TETHER_PLATFORM\\" --cluster \\"$TETHER_CLUSTER\\""]',
    "          envFrom:",
    "            - secretRef: {name: tether-agent}",
  ].join("\n");
  // Quoted delimiter: the shell must not expand anything inside the manifest.
  const kubectl = `kubectl apply -f - <<'EOF'\n${manifest}\nEOF`;
  return { cli, helmValues, kubectl };
}
