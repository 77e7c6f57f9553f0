import { type BatchJobReport, runBatchJob } from '../batch/batch-job';
import { StaleAsOfError } from '../batch/commission-batch';
import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';

/**
 * The commission batch run now, as of `asOf` (default: now). Where runs could overlap across
 * isolates, it runs under the batch lease and another run holding it is a conflict.
 */
export async function runBatchOnDemand(deps: AppDeps, asOfText: string | undefined): Promise<BatchJobReport> {
  const now = deps.clock.now();
  const asOf = asOfText ? new Date(asOfText) : now;
  // A future asOf would approve commissions whose lock period has not passed.
  if (asOf.getTime() > now.getTime()) throw new AppError('validation_failed', 'asOf: must not be in the future');
  try {
    const run = () => runBatchJob(deps, asOf);
    const report = deps.exclusiveBatch ? await deps.exclusiveBatch(now, run) : await run();
    if (!report) throw new AppError('conflict', 'another batch run is in progress; try again when it ends');
    return report;
  } catch (error) {
    if (error instanceof StaleAsOfError) throw new AppError('validation_failed', error.message);
    throw error;
  }
}
