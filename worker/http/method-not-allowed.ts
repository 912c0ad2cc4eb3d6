import type { Context } from "hono";
import type { RouterRoute } from "hono/types";
import { errorBody } from "./errors.ts";

/** Hono route paths ("/api/v1/clusters/:name") as anchored regexes over a request path. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => {
      if (part === "*") return ".*";
      if (part.startsWith(":")) return "[^/]+";
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source.replace(/\/$/, "")}/?$`);
}

/** The methods some handler answers for `path`; middleware ("ALL") does not count. */
export function allowedMethods(routes: readonly RouterRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    if (pathPattern(route.path).test(path)) methods.add(route.method);
  }
  return [...methods].sort();
}

/**
 * The not-found handler: 405 with Allow when the path exists under other methods (so a client
 * learns it used the wrong verb, not the wrong URL), 404 otherwise.
 */
export function methodAwareNotFound(
  routes: () => readonly RouterRoute[],
  notFound: (c: Context) => Response,
) {
  return (c: Context): Response => {
    const allow = allowedMethods(routes(), new URL(c.req.url).pathname);
    if (allow.length === 0) return notFound(c);
    return c.json(
      errorBody("method_not_allowed", `${c.req.method} is not allowed here; use ${allow.join(", ")}.`),
      405,
      { allow: allow.join(", ") },
    );
  };
}
