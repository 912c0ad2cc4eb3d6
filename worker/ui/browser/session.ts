// The signed-in state. The access key lives in sessionStorage only (gone when the tab closes), goes
// out as a Bearer header, and is never logged. The shell decides what signing out shows; this module
// only clears the keys and tells it, so the API client needs no import of the views.

const KEY_STORAGE = "tether.accessKey";
const VALUES_KEY_STORAGE = "tether.valuesReadKey";

/** A cluster-values:read key the page created for one cluster's helm --values URLs. */
export interface ValuesKey {
  key: string;
  id: string;
  expiresAt: string;
}

type SignOutHandler = (message: string) => void;
let onSignOut: SignOutHandler = () => {};

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

function valuesKeys(): Record<string, ValuesKey> {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(VALUES_KEY_STORAGE) ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, ValuesKey>) : {};
  } catch {
    return {};
  }
}

/** The cluster's values key from this tab, unless it has expired (`now`: epoch ms). */
export function storedValuesKey(cluster: string, now: number): ValuesKey | null {
  const k = valuesKeys()[cluster];
  if (!k || typeof k.key !== "string" || !(Date.parse(k.expiresAt) > now)) return null;
  return k;
}

export function storeValuesKey(cluster: string, key: ValuesKey): void {
  sessionStorage.setItem(VALUES_KEY_STORAGE, JSON.stringify({ ...valuesKeys(), [cluster]: key }));
}

export function forgetValuesKey(cluster: string): void {
  const keys = valuesKeys();
  delete keys[cluster];
  sessionStorage.setItem(VALUES_KEY_STORAGE, JSON.stringify(keys));
}

export function whenSignedOut(handler: SignOutHandler): void {
  onSignOut = handler;
}

export function signOut(message: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  sessionStorage.removeItem(VALUES_KEY_STORAGE);
  onSignOut(message);
}
