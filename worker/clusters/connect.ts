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
  /** The cluster-values:read key for the values URL. */
  valuesKey: string;
  /** GET /charts/NAME-VERSION.tgz on this platform. */
  chartUrl: string;
}

/** Where the chart is installed; the commands create it when missing. */
export const AGENT_NAMESPACE = "tether";
export const RELEASE_NAME = "tether-agent";

// Cluster names and secrets are [a-z0-9-] and base64url by construction; the URLs are
// admin-configurable (and the values URL has "?" and "&"), so they may need quoting for a shell.
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

// helm --set reads "," as a separator and "\" as an escape, and turns numbers and booleans into
// non-strings (which the chart's schema refuses for these string values): escape, or force a string.
function helmSet(key: string, value: string): string[] {
  const escaped = value.replace(/\\/g, "\\\\").replace(/,/g, "\\,");
  const typed = /^(true|false|null|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$/i.test(value);
  return [typed ? "--set-string" : "--set", shellWord(`${key}=${escaped}`)];
}

export function valuesUrl(platformUrl: string, cluster: string, valuesKey: string): string {
  const base = platformUrl.replace(/\/+$/, "");
  return `${base}/clusters/agent-values/${cluster}?token=${encodeURIComponent(valuesKey)}`;
}

/** A word in double quotes, as the product's docs show URLs; single quotes when it has shell specials. */
function quotedUrl(url: string): string {
  return /^[^$`"\\!]*$/.test(url) ? `"${url}"` : `'${url.replace(/'/g, "'\\''")}'`;
}

export function connectInstructions(input: ConnectInput): ConnectInstructions {
  const { platformUrl, cluster, psk, chartUrl } = input;
  const values = valuesUrl(platformUrl, cluster, input.valuesKey);
  // helm gives --set precedence over --values whatever the order, so the platform's values can never
  // change which platform, cluster or PSK the release is for.
  const sets = [
    ...helmSet("platform.url", platformUrl),
    ...helmSet("cluster.name", cluster),
    ...helmSet("cluster.psk", psk),
    "--values",
    quotedUrl(values),
  ].join(" ");
  const chart = shellWord(chartUrl);
  const helm = `helm upgrade --install ${RELEASE_NAME} ${chart} -n ${AGENT_NAMESPACE} --create-namespace ${sets}`;
  // kubectl has no --create-namespace; the dry-run + apply idiom creates it and is a no-op when it exists.
  const kubectl = [
    `kubectl create namespace ${AGENT_NAMESPACE} --dry-run=client -o yaml | kubectl apply -f -`,
    `helm template ${RELEASE_NAME} ${chart} -n ${AGENT_NAMESPACE} ${sets} | kubectl apply -n ${AGENT_NAMESPACE} -f -`,
  ].join("\n");
  // The PSK goes in the environment, not argv: /proc/PID/cmdline is readable by every local user,
  // /proc/PID/environ only by the agent's own user.
  const cli = `TETHER_PSK=${psk} tether agent up --platform ${shellWord(platformUrl)} --cluster ${cluster}`;
  const helmValues = stringify({ platform: { url: platformUrl }, cluster: { name: cluster, psk } });
  return { helm, kubectl, cli, helmValues, chartUrl, valuesUrl: values };
}
