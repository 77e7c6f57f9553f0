import type { Pool } from 'pg';
import { type ClickRecorder, type ClickToRecord, UNIQUE_CLICK_WINDOW_MS } from '../click-recorder';
import { inTransaction } from './postgres-atomic-writes';

interface Waiting {
  click: ClickToRecord;
  resolve: (result: { unique: boolean }) => void;
  reject: (error: unknown) => void;
}

const MAX_GROUP = 512;
const MAX_USER_AGENTS_CACHED = 10_000;
/** unique_visitors rows older than this are pruned (only their last hour ever decides anything). */
const PRUNE_AFTER_MS = 2 * UNIQUE_CLICK_WINDOW_MS;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

const ADD_USER_AGENTS = 'INSERT INTO user_agents (user_agent) SELECT unnest($1::text[]) ON CONFLICT (user_agent) DO NOTHING';
const USER_AGENT_IDS = 'SELECT id, user_agent FROM user_agents WHERE user_agent = ANY($1::text[])';

/**
 * The unique flag (P13), decided by the database for every instance alike: per (link, visitor)
 * the time of the newest unique click, taken by an upsert whose guard is the hour. A pair not
 * seen, or seen unique an hour or more before this click, becomes this click's time and the
 * click is unique (the row comes back); otherwise nothing changes and it is a repeat. Two
 * instances deciding the same pair at once queue on its row, and the second re-reads it after
 * the first commits (READ COMMITTED re-checks an ON CONFLICT UPDATE's WHERE on the newest row),
 * so the hour counts one unique click whichever instance took which click. As on D1, a click
 * older than the stored one (late) is a repeat. Each pair appears once per statement.
 */
const DECIDE_UNIQUE = `WITH input (link_id, visitor_hash, clicked_at, since) AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]))
  INSERT INTO unique_visitors (link_id, visitor_hash, clicked_at)
  SELECT link_id, visitor_hash, clicked_at FROM input ORDER BY link_id, visitor_hash
  ON CONFLICT (link_id, visitor_hash) DO UPDATE SET clicked_at = excluded.clicked_at
  WHERE unique_visitors.clicked_at <= (SELECT since FROM input
    WHERE input.link_id = excluded.link_id AND input.visitor_hash = excluded.visitor_hash)
  RETURNING link_id, visitor_hash`;

const CLICK_COLUMNS = [
  ['click_id', 'text'],
  ['link_id', 'bigint'],
  ['program_id', 'bigint'],
  ['affiliate_id', 'bigint'],
  ['clicked_at', 'text'],
  ['ip_hash', 'text'],
  ['visitor_hash', 'text'],
  ['user_agent_id', 'bigint'],
  ['browser', 'text'],
  ['os', 'text'],
  ['device', 'text'],
  ['is_bot', 'bigint'],
  ['is_unique', 'bigint'],
  ['country', 'text'],
  ['referer_host', 'text'],
  ['sub1', 'text'],
  ['sub2', 'text'],
  ['sub3', 'text'],
  ['sub4', 'text'],
  ['sub5', 'text'],
  ['paid_search_param', 'text'],
] as const;
/** One statement text for any group size: each column travels as one array. */
const INSERT_CLICKS = `INSERT INTO clicks (${CLICK_COLUMNS.map(([c]) => c).join(', ')})
  SELECT * FROM unnest(${CLICK_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

const pairKey = (click: ClickToRecord) => `${click.linkId}\u0000${click.visitorHash}`;

/**
 * Group commit on PostgreSQL: the clicks that arrive while the previous group commits are
 * written together in one transaction (user agents, the unique decisions, the click rows as
 * one multi-row INSERT), and each request's promise settles after that COMMIT, so no 302 goes
 * out for a click a crash could lose (P1). One group in flight per process; other instances
 * write their own groups side by side.
 */
export function createPostgresClickRecorder(pool: Pool): ClickRecorder {
  const agentIds = new Map<string, number>();
  let waiting: Waiting[] = [];
  let writing: Promise<void> | undefined;
  let lastPrune = 0;
  /** The newest click time committed here: pruning goes by the clicks' clock, not the machine's. */
  let newestClickMs = -Infinity;

  async function writeGroup(group: readonly ClickToRecord[]): Promise<boolean[]> {
    const learnt = new Map<string, number>();
    const results = await inTransaction(pool, async (client) => {
      const unknown = [...new Set(group.map((c) => c.userAgent).filter((ua) => !agentIds.has(ua)))];
      if (unknown.length > 0) {
        await client.query(ADD_USER_AGENTS, [unknown]);
        for (const row of (await client.query<{ id: number; user_agent: string }>(USER_AGENT_IDS, [unknown])).rows) {
          learnt.set(row.user_agent, row.id);
        }
      }
      const unique = new Set<Waiting['click']>();
      // Rounds, each naming a pair at most once; a pair's later clicks in this group wait a round.
      let remaining = group
        .filter((c) => !c.isBot)
        .sort((a, b) => (a.clickedAt < b.clickedAt ? -1 : a.clickedAt > b.clickedAt ? 1 : 0));
      while (remaining.length > 0) {
        const seen = new Map<string, ClickToRecord>();
        const later: ClickToRecord[] = [];
        for (const click of remaining) {
          if (seen.has(pairKey(click))) later.push(click);
          else seen.set(pairKey(click), click);
        }
        const round = [...seen.values()];
        const decided = await client.query<{ link_id: number; visitor_hash: string }>(DECIDE_UNIQUE, [
          round.map((c) => c.linkId),
          round.map((c) => c.visitorHash),
          round.map((c) => c.clickedAt),
          round.map((c) => new Date(Date.parse(c.clickedAt) - UNIQUE_CLICK_WINDOW_MS).toISOString()),
        ]);
        const won = new Set(decided.rows.map((r) => `${r.link_id}\u0000${r.visitor_hash}`));
        for (const click of round) if (won.has(pairKey(click))) unique.add(click);
        remaining = later;
      }
      const idOf = (ua: string) => agentIds.get(ua) ?? learnt.get(ua)!;
      const s = (c: ClickToRecord, key: keyof ClickToRecord['subIds']) => c.subIds[key] ?? null;
      const columns: Record<(typeof CLICK_COLUMNS)[number][0], unknown[]> = {
        click_id: group.map((c) => c.clickId),
        link_id: group.map((c) => c.linkId),
        program_id: group.map((c) => c.programId),
        affiliate_id: group.map((c) => c.affiliateId),
        clicked_at: group.map((c) => c.clickedAt),
        ip_hash: group.map((c) => c.ipHash),
        visitor_hash: group.map((c) => c.visitorHash),
        user_agent_id: group.map((c) => idOf(c.userAgent)),
        browser: group.map((c) => c.browser),
        os: group.map((c) => c.os),
        device: group.map((c) => c.device),
        is_bot: group.map((c) => (c.isBot ? 1 : 0)),
        is_unique: group.map((c) => (unique.has(c) ? 1 : 0)),
        country: group.map((c) => c.country),
        referer_host: group.map((c) => c.refererHost),
        sub1: group.map((c) => s(c, 'sub1')),
        sub2: group.map((c) => s(c, 'sub2')),
        sub3: group.map((c) => s(c, 'sub3')),
        sub4: group.map((c) => s(c, 'sub4')),
        sub5: group.map((c) => s(c, 'sub5')),
        paid_search_param: group.map((c) => c.paidSearchParam),
      };
      await client.query(
        INSERT_CLICKS,
        CLICK_COLUMNS.map(([c]) => columns[c]),
      );
      return group.map((c) => unique.has(c));
    });
    // Only ids of committed rows are remembered: a rolled-back group's new agents are not.
    if (agentIds.size + learnt.size > MAX_USER_AGENTS_CACHED) agentIds.clear();
    for (const [ua, id] of learnt) agentIds.set(ua, id);
    return results;
  }

  async function commitWaiting(): Promise<void> {
    while (waiting.length > 0) {
      const group = waiting.splice(0, MAX_GROUP);
      try {
        const results = await writeGroup(group.map((w) => w.click));
        group.forEach((w, i) => w.resolve({ unique: results[i]! }));
        for (const w of group) newestClickMs = Math.max(newestClickMs, Date.parse(w.click.clickedAt));
      } catch {
        // One bad row must not cost the whole group its tracking: retry each click alone.
        for (const w of group) {
          try {
            w.resolve({ unique: (await writeGroup([w.click]))[0]! });
          } catch (error) {
            w.reject(error);
          }
        }
      }
    }
    if (Date.now() - lastPrune > PRUNE_EVERY_MS && Number.isFinite(newestClickMs)) {
      lastPrune = Date.now();
      const before = new Date(newestClickMs - PRUNE_AFTER_MS).toISOString();
      void pool.query('DELETE FROM unique_visitors WHERE clicked_at < $1', [before]).catch(() => {});
    }
  }

  function schedule(): Promise<void> {
    writing ??= commitWaiting().finally(() => {
      writing = undefined;
      if (waiting.length > 0) void schedule();
    });
    return writing;
  }

  return {
    record(click) {
      return new Promise((resolve, reject) => {
        waiting.push({ click, resolve, reject });
        // Clicks of this event-loop turn join the group; a group in flight picks them up after.
        if (!writing && waiting.length === 1) setImmediate(() => void schedule());
      });
    },
    async flush() {
      while (writing || waiting.length > 0) await schedule();
    },
  };
}
