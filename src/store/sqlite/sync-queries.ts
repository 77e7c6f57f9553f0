import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';

/**
 * Kysely-built queries run synchronously on better-sqlite3, inside group-committed transactions.
 *
 * - Queries stay typed: Kysely builds them. `prepared` compiles a query once, with placeholders
 *   standing in for its parameters, so the hot paths do not pay Kysely's ~13 µs compile per
 *   statement (more than SQLite takes to run it).
 * - `transaction` runs a unit of work synchronously (nothing interleaves between its
 *   statements). Units arriving in the same event-loop turn share one COMMIT, each inside its own
 *   savepoint so one failing unit rolls back alone; every caller's promise settles only after the
 *   COMMIT, so a reply sent on success is durable (P1, P3).
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

  const commitGroup = raw.transaction((group: Unit[]) =>
    group.map((unit) => {
      try {
        // A nested better-sqlite3 transaction is a savepoint: a throwing unit undoes only itself.
        return { ok: true as const, value: raw.transaction(unit.work)() };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );

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
    let outcomes: ReturnType<typeof commitGroup>;
    try {
      outcomes = commitGroup(group);
    } catch (error) {
      for (const unit of group) unit.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? group[i]!.resolve(outcome.value) : group[i]!.reject(outcome.error)));
  }

  return {
    prepared<P extends Record<string, unknown>, R>(build: (params: P) => Compilable<R>): PreparedQuery<P, R> {
      const placeholders = new Proxy({}, { get: (_target, name) => `${SENTINEL}${String(name)}` }) as P;
      const compiled = build(placeholders).compile();
      const names = (compiled.parameters as unknown[]).map((value) => {
        if (typeof value !== 'string' || !value.startsWith(SENTINEL)) {
          throw new Error(`prepared query has a parameter that is not a placeholder: ${compiled.sql}`);
        }
        return value.slice(SENTINEL.length);
      });
      const bind = (params: P) => names.map((name) => params[name]);
      return {
        all: (params) => prepare(compiled.sql).all(...bind(params)) as R[],
        first: (params) => prepare(compiled.sql).get(...bind(params)) as R | undefined,
        run: (params) => {
          const result = prepare(compiled.sql).run(...bind(params));
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
