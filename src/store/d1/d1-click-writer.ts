import { type ClickToRecord, INSERT_USER_AGENT, UNIQUE_CLICK_WINDOW_MS } from '../click-recorder';
import type { D1Database, D1PreparedStatement } from './d1-types';

/**
 * One click row, written idempotently: queues deliver at least once, so a redelivered message
 * hits the unique click id and changes nothing. Uniqueness (P13) is decided in the same
 * statement: no memory outlives a queue batch here, so every unique click's time is kept per
 * (link, visitor) in `unique_visitors` (migration 0013), and the click is unique when that
 * time is not within the hour before it. Earlier statements of the same batch count, since
 * batch() runs them in order. As in the server's memory, a unique click stored with a later
 * time (a batch delivered late) makes this one a repeat: the hour then still counts one.
 * 21 bound values (numbered, reused in the lookup): under D1's 100 per statement.
 */
const INSERT_CLICK = `INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at,
    ip_hash, visitor_hash, user_agent_id, browser, os, device, is_bot, is_unique, country, referer_host,
    sub1, sub2, sub3, sub4, sub5, paid_search_param)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT id FROM user_agents WHERE user_agent = ?8), ?9, ?10, ?11, ?12,
    CASE WHEN ?12 = 0 AND NOT EXISTS (SELECT 1 FROM unique_visitors WHERE link_id = ?2 AND visitor_hash = ?7
      AND clicked_at > ?21) THEN 1 ELSE 0 END,
    ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20
  WHERE true
  ON CONFLICT (click_id) DO NOTHING`;

/** The pair's newest unique click, from the row just written; a redelivered older click moves nothing. */
const KEEP_UNIQUE_VISITOR = `INSERT INTO unique_visitors (link_id, visitor_hash, clicked_at)
  SELECT link_id, visitor_hash, clicked_at FROM clicks WHERE click_id = ? AND is_unique = 1
  ON CONFLICT (link_id, visitor_hash) DO UPDATE SET clicked_at = excluded.clicked_at WHERE excluded.clicked_at > clicked_at`;

function statements(d1: D1Database, click: ClickToRecord): D1PreparedStatement[] {
  return [
    d1.prepare(INSERT_USER_AGENT).bind(click.userAgent),
    clickStatement(d1, click),
    d1.prepare(KEEP_UNIQUE_VISITOR).bind(click.clickId),
  ];
}

function clickStatement(d1: D1Database, click: ClickToRecord): D1PreparedStatement {
  const s = click.subIds;
  const since = new Date(Date.parse(click.clickedAt) - UNIQUE_CLICK_WINDOW_MS).toISOString();
  // prettier-ignore
  return d1.prepare(INSERT_CLICK).bind(
    click.clickId, click.linkId, click.programId, click.affiliateId, click.clickedAt,
    click.ipHash, click.visitorHash, click.userAgent, click.browser, click.os, click.device,
    click.isBot ? 1 : 0, click.country, click.refererHost,
    s.sub1 ?? null, s.sub2 ?? null, s.sub3 ?? null, s.sub4 ?? null, s.sub5 ?? null,
    click.paidSearchParam, since,
  );
}

/**
 * Writes a queue batch of clicks to D1 in one batch() (one round trip, one implicit
 * transaction), in click-time order so uniqueness looks back over the earlier ones. If the
 * batch fails, each click is tried alone so one bad row costs only its own message: the result
 * lists which clicks are stored (new or already there) and which failed.
 */
export async function writeClickBatch(
  d1: D1Database,
  clicks: readonly ClickToRecord[],
): Promise<{ stored: Set<string>; failed: Map<string, unknown> }> {
  const ordered = [...clicks].sort((a, b) => (a.clickedAt < b.clickedAt ? -1 : a.clickedAt > b.clickedAt ? 1 : 0));
  const stored = new Set<string>();
  const failed = new Map<string, unknown>();
  if (ordered.length === 0) return { stored, failed };
  try {
    await d1.batch(ordered.flatMap((click) => statements(d1, click)));
    for (const click of ordered) stored.add(click.clickId);
  } catch {
    for (const click of ordered) {
      try {
        await d1.batch(statements(d1, click));
        stored.add(click.clickId);
      } catch (error) {
        failed.set(click.clickId, error);
      }
    }
  }
  return { stored, failed };
}
