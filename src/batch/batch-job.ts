import type { Kysely } from 'kysely';
import type { Logger } from '../core/deps';
import type { ReportStore } from '../clickhouse/clickhouse';
import { type ExportProgress, type ExportReport, exportToClickHouse } from '../reports/clickhouse-export';
import { reconcile } from '../reports/reconciliation';
import type { AtomicWrites } from '../store/atomic-writes';
import type { RowReader } from '../store/row-reader';
import type { Database } from '../store/database';
import { type BatchProgress, type BatchReport, runCommissionBatch } from './commission-batch';

export interface BatchJobReport extends BatchReport {
  export: (Omit<ExportReport, 'days'> & { mismatches: number }) | null;
}

export interface BatchJobDeps {
  db: Kysely<Database>;
  reports?: ReportStore | undefined;
  log: Logger;
  /** How the commission batch commits (D1 has no transactions). */
  writes: AtomicWrites;
  /** Large reads as arrays (the batch's month sales). */
  rows: RowReader;
}

const running = new WeakMap<Kysely<Database>, Promise<unknown>>();

/**
 * One batch run: the commission ledger brought up to `asOf`, then everything new copied to
 * ClickHouse, then the touched days reconciled (a mismatch is logged loudly). Runs on one store
 * never overlap: the timer, the admin route and the CLI queue behind each other.
 */
export function runBatchJob(
  deps: BatchJobDeps,
  asOf: Date,
  progress: { commissions?: BatchProgress; export?: ExportProgress } = {},
): Promise<BatchJobReport> {
  const previous = running.get(deps.db) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => runOnce(deps, asOf, progress));
  running.set(deps.db, run);
  return run;
}

async function runOnce(deps: BatchJobDeps, asOf: Date, progress: { commissions?: BatchProgress; export?: ExportProgress }) {
  const commissions = await runCommissionBatch(deps, asOf, progress.commissions);
  if (commissions.waitingForRate.length > 0) {
    // Named at every run until a rate is added: an order that never converts must not be silent.
    deps.log.info(
      `orders wait for an exchange rate: ${commissions.waitingForRate.map((p) => `${p.from}→${p.to} (${p.orders})`).join(', ')}; add one with POST /v1/fx-rates`,
      { waitingForRate: commissions.waitingForRate },
    );
  }
  if (!deps.reports) return { ...commissions, export: null };
  const { clickhouse, targetId } = deps.reports;
  const { days, ...exported } = await exportToClickHouse(deps.db, clickhouse, targetId, progress.export);
  let mismatches = 0;
  if (days.length > 0) {
    const programs = await deps.db.selectFrom('programs').select('id').execute();
    const check = await reconcile(deps.db, clickhouse, targetId, {
      programIds: programs.map((p) => p.id),
      from: days[0]!,
      to: days.at(-1)!,
    });
    mismatches = check.mismatches;
    if (check.mismatches > 0 && check.changesInFlight === 0) {
      deps.log.error('RECONCILIATION MISMATCH: ClickHouse ledger totals differ from the SQL ledger', {
        mismatches: check.ledger.filter((r) => !r.matches),
      });
    }
  }
  return { ...commissions, export: { ...exported, mismatches } };
}
