// Browser JavaScript (see ../app-script.ts): the JSON API client. The access key lives in
// sessionStorage only (gone when the tab closes), goes out as a Bearer header, and is never logged.
export const API_JS = String.raw`
const KEY_STORAGE = "tether.accessKey";
const VALUES_KEY_STORAGE = "tether.valuesReadKey";

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

async function apiFetch(key, method, path, options) {
  const opts = options || {};
  const headers = { authorization: "Bearer " + key };
  let body;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.yaml !== undefined) {
    headers["content-type"] = "application/yaml";
    body = opts.yaml;
  }
  if (opts.accept) headers.accept = opts.accept;
  let res;
  try {
    res = await fetch(path, { method: method, headers: headers, body: body, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(0, "network", "The platform did not answer; is it running?");
  }
  if (!res.ok) {
    let error = { code: "http_" + res.status, message: "The platform answered HTTP " + res.status + "." };
    try {
      const parsed = await res.json();
      if (parsed && parsed.error) error = parsed.error;
    } catch {}
    throw new ApiError(res.status, error.code, error.message, error.details);
  }
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.text();
}

/** An admin API call with the signed-in key; a refused key signs the user out. */
async function api(method, path, options) {
  const key = storedKey();
  if (!key) {
    signOut("Sign in to continue.");
    throw new ApiError(401, "missing_credential", "Not signed in.");
  }
  try {
    return await apiFetch(key, method, path, options);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut("The access key was refused; sign in again.");
    throw err;
  }
}

async function listClusters() {
  const items = [];
  let cursor = "";
  for (let page = 0; page < 100; page++) {
    const res = await api("GET", "/api/v1/clusters?limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items.push.apply(items, res.items);
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return items;
}

function clusterPath(name) {
  return "/api/v1/clusters/" + encodeURIComponent(name);
}
`;
