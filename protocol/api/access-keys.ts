import { z } from "zod";

const MAX_EXPIRY_SECONDS = 100 * 365 * 24 * 3600;

/**
 * admin: everything. values:read: every cluster's values endpoints. cluster-values:read: the values
 * endpoints of one cluster (the key's `cluster`), as put in a connect command's Helm --values URL.
 */
export const AccessKeyScope = z.enum(["admin", "values:read", "cluster-values:read"]);
export type AccessKeyScope = z.infer<typeof AccessKeyScope>;

export const AccessKey = z.object({
  id: z.string(),
  name: z.string(),
  scope: AccessKeyScope,
  /** The cluster a cluster-values:read key is bound to; null for the other scopes. */
  cluster: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  disabled: z.boolean(),
});
export type AccessKey = z.infer<typeof AccessKey>;

/** POST /api/v1/access-keys */
export const CreateAccessKeyRequest = z
  .object({
    name: z.string().min(1).max(64),
    scope: AccessKeyScope,
    /** Required with cluster-values:read, refused with the other scopes. */
    cluster: z.string().min(1).max(63).optional(),
    expiresInSeconds: z.number().int().positive().max(MAX_EXPIRY_SECONDS).optional(),
  })
  .refine((r) => (r.scope === "cluster-values:read") === (r.cluster !== undefined), {
    message: 'cluster is required with scope "cluster-values:read" and not allowed with other scopes',
    path: ["cluster"],
  });
export type CreateAccessKeyRequest = z.infer<typeof CreateAccessKeyRequest>;

export const CreateAccessKeyResponse = z.object({
  accessKey: AccessKey,
  /** Shown once; the platform keeps only its hash. */
  key: z.string(),
});
export type CreateAccessKeyResponse = z.infer<typeof CreateAccessKeyResponse>;

/** GET /api/v1/access-keys */
export const ListAccessKeysResponse = z.object({ items: z.array(AccessKey) });
export type ListAccessKeysResponse = z.infer<typeof ListAccessKeysResponse>;
