import { stringify } from "yaml";
import type { ConnectInstructions } from "../../protocol/api.ts";

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
  const cli = `npx tether agent up --platform ${shellWord(platformUrl)} --cluster ${cluster} --psk ${psk}`;
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
    '          command: ["sh", "-c", "npx --yes tether agent up --platform \\"$TETHER_PLATFORM\\" --cluster \\"$TETHER_CLUSTER\\" --psk \\"$TETHER_PSK\\""]',
    "          envFrom:",
    "            - secretRef: {name: tether-agent}",
  ].join("\n");
  // Quoted delimiter: the shell must not expand anything inside the manifest.
  const kubectl = `kubectl apply -f - <<'EOF'\n${manifest}\nEOF`;
  return { cli, helmValues, kubectl };
}
