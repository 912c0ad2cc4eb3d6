/**
 * True when a driver error (or anything in its cause chain; drizzle wraps D1's
 * error) is a UNIQUE violation on `target`, e.g. "clusters.name".
 * SQLite names the column(s) after "UNIQUE constraint failed:".
 */
export function isUniqueViolation(err: unknown, target: string): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const match = /UNIQUE constraint failed: ([\w.,\s]+)/.exec(current.message);
    if (match?.[1]?.split(",").some((column) => column.trim() === target)) return true;
    current = current.cause;
  }
  return false;
}
