import { ClickHouseError } from '../clickhouse/clickhouse';
import { ConfigError, readConfig } from '../runtime/config';
import { openNodeReportStore } from '../runtime/node-reports';

/**
 * `npm run clickhouse:schema`: applies sql/clickhouse/ to the ClickHouse the config names
 * (CLICKHOUSE_URL, or chDB under DATA_DIR) and prints its target id. The Node server does this
 * at every start; a Workers deployment, which cannot read the DDL files, needs it run once and
 * after each upgrade.
 */
try {
  const config = readConfig(process.env);
  const reports = await openNodeReportStore(config, new Date());
  console.log(
    `ClickHouse schema applied to ${config.CLICKHOUSE_URL ? new URL(config.CLICKHOUSE_URL).host : 'chDB'} database ${config.CLICKHOUSE_DATABASE}; target ${reports.targetId}`,
  );
  await reports.clickhouse.close();
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof ClickHouseError ? error.message : error);
  process.exit(1);
}
