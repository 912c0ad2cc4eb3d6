// A cluster's name (its Kubernetes ID) is a DNS-1123 label. The Worker checks it on every route, and
// the web UI (whose bundle includes this file) checks it as the user types, with the same function.

/** Kubernetes DNS-1123 label: what a cluster's name (its ID) must be. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 63;

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && DNS1123_LABEL.test(name);
}

/** Why `name` is not a DNS-1123 label, in words a user can act on; null when it is one. */
export function clusterNameProblem(name: string): string | null {
  if (name === "") return "Enter a name, or leave the field empty to have one generated.";
  if (name.length > MAX_NAME_LENGTH) return `At most ${MAX_NAME_LENGTH} characters (this is ${name.length}).`;
  if (/[A-Z]/.test(name)) return "Use lowercase letters only.";
  const bad = /[^a-z0-9-]/.exec(name);
  if (bad !== null) return `"${bad[0]}" is not allowed: use lowercase letters, digits and '-'.`;
  if (!/^[a-z0-9]/.test(name)) return "Start with a lowercase letter or a digit.";
  if (!/[a-z0-9]$/.test(name)) return "End with a lowercase letter or a digit.";
  return null;
}
