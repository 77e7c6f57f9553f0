import { readConfig } from '../runtime/config';
import { openNodeReportStore } from '../runtime/node-reports';
import { ownDataDir, runCommand } from './command';

/**
 * `npm run clickhouse:schema`: applies sql/clickhouse/ to the ClickHouse the config names. The
 * Node server does this at every start; a Workers deployment, which cannot read the DDL files,
 * needs it run once and after each upgrade.
 */
const spec = {
  invocation: 'npm run clickhouse:schema --',
  description:
    'Applies sql/clickhouse/ to the ClickHouse the environment names (CLICKHOUSE_URL, or chDB under DATA_DIR)\n' +
    'and prints its target id. The Node server does this at every start; a Workers deployment needs it once\n' +
    'and after each upgrade.',
  options: {},
} as const;

await runCommand(spec, async () => {
  const config = readConfig(process.env);
  // chDB's data is the server's while it runs; a ClickHouse server takes the DDL from anyone.
  if (!config.CLICKHOUSE_URL) ownDataDir(config, spec, 'restart it: the server applies the schema at start');
  const reports = await openNodeReportStore(config, new Date());
  console.log(
    `ClickHouse schema applied to ${config.CLICKHOUSE_URL ? new URL(config.CLICKHOUSE_URL).host : 'chDB'} database ${config.CLICKHOUSE_DATABASE}; target ${reports.targetId}`,
  );
  await reports.clickhouse.close();
});
