import { createClient } from '@clickhouse/client-web';
import type { ReportStore } from '../clickhouse/clickhouse';
import { type CreateClickHouseClient, openHttpClickHouse } from '../clickhouse/http-driver';
import { readTargetId } from '../clickhouse/schema';
import type { WorkerEnv } from './worker-env';

/**
 * Reports on Workers: a ClickHouse server through @clickhouse/client-web, behind the same HTTP
 * driver the Node service uses with CLICKHOUSE_URL. The DDL is not applied from a Worker: run
 * `CLICKHOUSE_URL=… npm run clickhouse:schema` once (and after upgrades) from a machine with Node.
 */
export async function openWorkerReportStore(env: WorkerEnv): Promise<ReportStore | undefined> {
  if (!env.CLICKHOUSE_URL) return undefined;
  const clickhouse = await openHttpClickHouse(
    {
      url: env.CLICKHOUSE_URL,
      database: env.CLICKHOUSE_DATABASE,
      username: env.CLICKHOUSE_USER,
      password: env.CLICKHOUSE_PASSWORD,
    },
    createClient as unknown as CreateClickHouseClient,
  );
  const targetId = await readTargetId(clickhouse);
  if (!targetId)
    throw new Error(
      `ClickHouse database ${env.CLICKHOUSE_DATABASE} has no clickledger schema yet: run npm run clickhouse:schema`,
    );
  return { clickhouse, targetId };
}
