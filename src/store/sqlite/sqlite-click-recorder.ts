import type { Kysely } from 'kysely';
import { type ClickRecorder, type ClickToRecord, UNIQUE_CLICK_WINDOW_MS } from '../click-recorder';
import type { ClickTable, Database } from '../database';
import type { SyncQueries } from './sync-queries';

const CLICK_COLUMNS = [
  'click_id', 'link_id', 'program_id', 'affiliate_id', 'clicked_at', 'ip_hash', 'visitor_hash', 'user_agent', 'browser', 'os',
  'device', 'is_bot', 'is_unique', 'country', 'referer_host', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'paid_search_param',
] as const satisfies readonly (keyof ClickTable)[];

/**
 * Clicks on SQLite: each click is a unit of work in the group-committed transactions of
 * `SyncQueries`, so the redirect that awaits `record` answers only after its click is committed
 * (P1) while many clicks share one COMMIT.
 */
export function createSqliteClickRecorder(db: Kysely<Database>, q: SyncQueries): ClickRecorder {
  const seenRecently = q.prepared((p: { linkId: number; visitorHash: string; since: string }) =>
    db
      .selectFrom('clicks')
      .select('id')
      .where('link_id', '=', p.linkId)
      .where('visitor_hash', '=', p.visitorHash)
      .where('clicked_at', '>', p.since)
      .where('is_bot', '=', 0)
      .limit(1),
  );
  const insert = q.prepared((p: Omit<ClickTable, 'id'>) =>
    db.insertInto('clicks').values(Object.fromEntries(CLICK_COLUMNS.map((c) => [c, p[c]])) as Omit<ClickTable, 'id'>),
  );

  return {
    record(click: ClickToRecord) {
      return q.transaction(() => {
        const since = new Date(Date.parse(click.clickedAt) - UNIQUE_CLICK_WINDOW_MS).toISOString();
        const unique = !click.isBot && seenRecently.first({ linkId: click.linkId, visitorHash: click.visitorHash, since }) === undefined;
        const s = click.subIds;
        insert.run({
          click_id: click.clickId,
          link_id: click.linkId,
          program_id: click.programId,
          affiliate_id: click.affiliateId,
          clicked_at: click.clickedAt,
          ip_hash: click.ipHash,
          visitor_hash: click.visitorHash,
          user_agent: click.userAgent,
          browser: click.browser,
          os: click.os,
          device: click.device,
          is_bot: click.isBot ? 1 : 0,
          is_unique: unique ? 1 : 0,
          country: click.country,
          referer_host: click.refererHost,
          sub1: s.sub1 ?? null,
          sub2: s.sub2 ?? null,
          sub3: s.sub3 ?? null,
          sub4: s.sub4 ?? null,
          sub5: s.sub5 ?? null,
          paid_search_param: click.paidSearchParam,
        });
        return { unique };
      });
    },
    flush: () => q.transaction(() => undefined),
  };
}
