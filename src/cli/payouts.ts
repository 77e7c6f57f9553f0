import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { parseId } from '../domain/ids';
import { payoutCsvStream } from '../payouts/payout-csv';
import { createPayout } from '../payouts/payout-runs';
import { ConfigError, readConfig } from '../runtime/config';
import { openSqlite } from '../store/sqlite/sqlite-open';

/**
 * `npm run payouts -- --as-of 2026-11-30T00:00:00Z --minimum 50.00 [--currency EUR] --out payout.csv`:
 * creates a payout run on the store under DATA_DIR and writes its CSV, with progress and a
 * summary. Run it while the server is stopped, or use POST /v1/payouts.
 */
try {
  const { values } = parseArgs({
    options: { 'as-of': { type: 'string' }, minimum: { type: 'string' }, currency: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values['as-of'] || !values.minimum || !values.out)
    throw new ConfigError('usage: npm run payouts -- --as-of <date-time> --minimum <amount> [--currency EUR] --out <file.csv>');
  const config = readConfig(process.env);
  const store = openSqlite({ path: join(config.DATA_DIR, 'clickledger.sqlite'), synchronous: config.SQLITE_SYNCHRONOUS });
  const started = performance.now();
  console.log(
    `creating a payout run as of ${values['as-of']}, minimum ${values.minimum}${values.currency ? ` ${values.currency}` : ''}…`,
  );
  const run = await createPayout(
    { db: store.db, writes: store.writes, clock: { now: () => new Date() } },
    { asOf: values['as-of'], minimumAmount: values.minimum, currency: values.currency },
  );
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
    if (process.stdout.isTTY) process.stdout.write(`\r  writing ${values.out}: ${(bytes / 1024).toFixed(0)} KiB`);
  });
  await pipeline(csv, createWriteStream(values.out));
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(
    `wrote ${values.out} (${bytes} bytes) in ${Math.round(performance.now() - started)} ms; mark it paid with POST /v1/payouts/${run.id}/paid`,
  );
  await store.close();
} catch (error) {
  const known =
    error instanceof ConfigError ||
    (error as { name?: string }).name === 'AppError' ||
    String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
  console.error(known ? (error as Error).message : error);
  process.exit(1);
}
