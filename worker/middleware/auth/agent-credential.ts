import { and, eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { agents } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { HttpError } from "../../http/errors.ts";
import { constantTimeEqual, hashSecret } from "../../secrets.ts";
import { bearerToken } from "./bearer.ts";

export function requireAgent(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c);
    if (token === undefined || token === "") {
      throw new HttpError(
        401,
        "missing_credential",
        "An agent credential is required (Authorization: Bearer tac_...).",
      );
    }
    const presented = await hashSecret(token);
    const row = await c.var.db.query.agents.findFirst({
      where: and(eq(agents.credentialHash, presented), eq(agents.revoked, false)),
    });
    if (row === undefined || !constantTimeEqual(row.credentialHash, presented)) {
      throw new HttpError(
        401,
        "invalid_credential",
        "The agent credential is not valid; it was replaced, revoked, or its cluster was deleted.",
      );
    }
    c.set("agent", { kind: "agent", cluster: row.cluster, publicKey: row.publicKey, row });
    await next();
  };
}
