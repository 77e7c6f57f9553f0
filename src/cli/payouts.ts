import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseId } from '../domain/ids';
import { payoutCsvStream } from '../payouts/payout-csv';
import { createPayout } from '../payouts/payout-runs';
import { readConfig } from '../runtime/config';
import { openSqlite } from '../store/sqlite/sqlite-open';
import { ownDataDir, runCommand, UsageError } from './command';

/** `npm run payouts`: a payout run on the store under DATA_DIR and its CSV, with progress and a summary. */
const spec = {
  invocation: 'npm run payouts --',
  description:
    'Creates a payout run over the approved commissions up to --as-of on the store under DATA_DIR and writes\n' +
    'its CSV to --out. A running server owns DATA_DIR: use POST /v1/payouts (finance key) on it instead.',
  options: {
    'as-of': { type: 'string', value: '<date-time>', help: 'commissions approved up to this ISO date-time (required)' },
    minimum: { type: 'string', value: '<amount>', help: 'smallest balance paid out, e.g. 50.00 (required)' },
    currency: { type: 'string', value: '<code>', help: 'only balances in this currency, e.g. EUR' },
    out: { type: 'string', value: '<file.csv>', help: 'where to write the CSV (required)' },
  },
} as const;

await runCommand(spec, async (values) => {
  const { 'as-of': asOf, minimum, currency, out } = values;
  if (!asOf || !minimum || !out) throw new UsageError('--as-of, --minimum and --out are required');
  const config = readConfig(process.env);
  ownDataDir(config, spec, 'use POST /v1/payouts');
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  const started = performance.now();
  console.log(`creating a payout run as of ${asOf}, minimum ${minimum}${currency ? ` ${currency}` : ''}…`);
  const run = await createPayout(
    { db: store.db, writes: store.writes, clock: { now: () => new Date() } },
    { asOf, minimumAmount: minimum, currency },
  ).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  console.log(
    `  ${run.id}: ${run.affiliates} affiliates, ${
      Object.entries(run.total)
        .map(([c, a]) => `${a} ${c}`)
        .join(', ') || 'nothing to pay'
    }`,
  );
  let bytes = 0;
  const csv = Readable.fromWeb(payoutCsvStream(store, parseId('payout', run.id)!) as NodeReadableStream);
  csv.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (process.stdout.isTTY) process.stdout.write(`\r  writing ${out}: ${(bytes / 1024).toFixed(0)} KiB`);
  });
  await pipeline(csv, createWriteStream(out));
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(
    `wrote ${out} (${bytes} bytes) in ${Math.round(performance.now() - started)} ms; mark it paid with POST /v1/payouts/${run.id}/paid`,
  );
  await store.close();
});
