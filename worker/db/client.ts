import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { countingD1 } from "./counting-d1.ts";
import * as schema from "./schema.ts";

export type Db = DrizzleD1Database<typeof schema>;

/** `countRows`: wrap the binding so the bench counters see D1 rows (benches only; see counting-d1.ts). */
export function createDb(d1: D1Database, countRows = false): Db {
  return drizzle(countRows ? countingD1(d1) : d1, { schema });
}
