import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { openChdb } from '../clickhouse/chdb-driver';
import type { ClickHouse, ReportStore } from '../clickhouse/clickhouse';
import { readClickHouseDdl } from '../clickhouse/ddl-files';
import { type CreateClickHouseClient, openHttpClickHouse } from '../clickhouse/http-driver';
import { applyClickHouseSchema } from '../clickhouse/schema';
import type { Config } from './config';

/**
 * The report store for Node: a ClickHouse server when CLICKHOUSE_URL is set, else chDB in this
 * process with its data under DATA_DIR/clickhouse. The DDL is applied on open.
 */
export async function openNodeReportStore(config: Config, now: Date, options: { chdbPath?: string } = {}): Promise<ReportStore> {
  const clickhouse: ClickHouse = config.CLICKHOUSE_URL
    ? await openHttpClickHouse(
        {
          url: config.CLICKHOUSE_URL,
          database: config.CLICKHOUSE_DATABASE,
          username: config.CLICKHOUSE_USER,
          password: config.CLICKHOUSE_PASSWORD,
        },
        createClient as unknown as CreateClickHouseClient,
      )
    : openChdb({ path: options.chdbPath ?? join(config.DATA_DIR, 'clickhouse'), database: config.CLICKHOUSE_DATABASE });
  try {
    const targetId = await applyClickHouseSchema(clickhouse, readClickHouseDdl(), randomUUID(), now);
    return { clickhouse, targetId };
  } catch (error) {
    await clickhouse.close();
    throw error;
  }
}
