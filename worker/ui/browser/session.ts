// The signed-in state. The access key lives in sessionStorage only (gone when the tab closes), goes
// out as a Bearer header, and is never logged. The shell decides what signing out shows; this module
// only clears the keys and tells it, so the API client needs no import of the views.

const KEY_STORAGE = "tether.accessKey";
const VALUES_KEY_STORAGE = "tether.valuesReadKey";

type SignOutHandler = (message: string) => void;
let onSignOut: SignOutHandler = () => {};

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

/** The values:read key the page created for helm --values URLs, if any. */
export function storedValuesKey(): string | null {
  return sessionStorage.getItem(VALUES_KEY_STORAGE);
}

export function storeValuesKey(key: string): void {
  sessionStorage.setItem(VALUES_KEY_STORAGE, key);
}

export function whenSignedOut(handler: SignOutHandler): void {
  onSignOut = handler;
}

export function signOut(message: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  sessionStorage.removeItem(VALUES_KEY_STORAGE);
  onSignOut(message);
}
