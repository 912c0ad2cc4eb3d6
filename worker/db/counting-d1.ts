import { countD1 } from "./usage-counters.ts";

/**
 * A D1 binding that adds every statement's meta.rows_read / rows_written to the usage counters.
 * raw() and first() return no meta, so for those the statement runs once more through all() to
 * be counted: correct counts at twice the read work, which is why only benches turn it on.
 */
class CountingStatement {
  constructor(readonly inner: D1PreparedStatement) {}

  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.inner.bind(...values));
  }

  async run<T>(): Promise<D1Result<T>> {
    const r = await this.inner.run<T>();
    countD1(r.meta);
    return r;
  }

  async all<T>(): Promise<D1Result<T>> {
    const r = await this.inner.all<T>();
    countD1(r.meta);
    return r;
  }

  async first<T>(column?: string): Promise<T | null> {
    countD1((await this.inner.all()).meta);
    return column === undefined ? this.inner.first<T>() : this.inner.first<T>(column);
  }

  async raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
    countD1((await this.inner.all()).meta);
    return options?.columnNames === true
      ? ((await this.inner.raw<T>({ columnNames: true })) as unknown as T[])
      : this.inner.raw<T>();
  }
}

function unwrap(s: D1PreparedStatement): D1PreparedStatement {
  return s instanceof CountingStatement ? s.inner : s;
}

export function countingD1(db: D1Database): D1Database {
  const counting = {
    prepare: (query: string) => new CountingStatement(db.prepare(query)),
    batch: async <T>(statements: D1PreparedStatement[]) => {
      const results = await db.batch<T>(statements.map(unwrap));
      for (const r of results) countD1(r.meta);
      return results;
    },
    exec: (query: string) => db.exec(query),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return counting as unknown as D1Database;
}
