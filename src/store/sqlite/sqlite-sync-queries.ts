import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';

/**
 * Kysely-built queries run synchronously on better-sqlite3, inside group-committed transactions.
 *
 * - Queries stay typed: Kysely builds them. `prepared` compiles a query once, with placeholders
 *   standing in for its parameters, so the hot paths do not pay Kysely's ~13 µs compile per
 *   statement (more than SQLite takes to run it).
 * - `transaction` runs a unit of work synchronously (nothing interleaves between its
 *   statements). Units arriving in the same event-loop turn share one COMMIT; if any unit throws,
 *   the group rolls back and each unit runs again in a transaction of its own, so one bad unit
 *   fails alone. Every caller's promise settles only after its COMMIT, so a reply sent on success
 *   is durable (P1, P3). One COMMIT per group instead of per request is what keeps the click
 *   redirect and the order intake close to the speed of their HTTP handling.
 */
export interface PreparedQuery<P, R> {
  all(params: P): R[];
  first(params: P): R | undefined;
  run(params: P): { changes: number; lastInsertRowid: number };
}

export interface SyncQueries {
  prepared<P extends Record<string, unknown>, R>(build: (params: P) => Compilable<R>): PreparedQuery<P, R>;
  transaction<T>(work: () => T): Promise<T>;
}

export type PrepareStatement = (sql: string) => BetterSqlite3.Statement;

const MAX_GROUP = 256;
const SENTINEL = '\u0000param:';

interface Unit {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function createSyncQueries(raw: BetterSqlite3.Database, prepare: PrepareStatement): SyncQueries {
  let waiting: Unit[] = [];
  let scheduled = false;

  const commitGroup = raw.transaction((group: Unit[]) => group.map((unit) => unit.work()));

  function flush(): void {
    scheduled = false;
    if (raw.inTransaction) {
      // An async Kysely transaction is open on this connection (it spans awaits): wait for it
      // rather than nest inside it and share its fate.
      scheduled = true;
      setImmediate(flush);
      return;
    }
    const group = waiting;
    waiting = [];
    if (group.length === 0) return;
    try {
      const values = commitGroup(group);
      group.forEach((unit, i) => unit.resolve(values[i]));
    } catch {
      for (const unit of group) {
        try {
          unit.resolve(raw.transaction(unit.work)());
        } catch (error) {
          unit.reject(error);
        }
      }
    }
  }

  return {
    prepared<P extends Record<string, unknown>, R>(build: (params: P) => Compilable<R>): PreparedQuery<P, R> {
      const placeholders = new Proxy({}, { get: (_target, name) => `${SENTINEL}${String(name)}` }) as P;
      const compiled = build(placeholders).compile();
      // Each bound value is either a placeholder (named) or a constant written in the query. The
      // values go to SQLite as one array, filled by index: the hot inserts bind 30 of them.
      const values = compiled.parameters as unknown[];
      const names = values.map((value) =>
        typeof value === 'string' && value.startsWith(SENTINEL) ? (value.slice(SENTINEL.length) as keyof P) : undefined,
      );
      const bind = (params: P) => {
        const bound = new Array<unknown>(names.length);
        for (let i = 0; i < names.length; i++) {
          const name = names[i];
          bound[i] = name === undefined ? values[i] : params[name];
        }
        return bound;
      };
      return {
        all: (params) => prepare(compiled.sql).all(bind(params)) as R[],
        first: (params) => prepare(compiled.sql).get(bind(params)) as R | undefined,
        run: (params) => {
          const result = prepare(compiled.sql).run(bind(params));
          return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) };
        },
      };
    },
    transaction<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (waiting.length >= MAX_GROUP) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
