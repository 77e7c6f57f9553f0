import type BetterSqlite3 from 'better-sqlite3';
import { type ClickRecorder, type ClickToRecord, INSERT_USER_AGENT, UNIQUE_CLICK_WINDOW_MS } from '../click-recorder';
import { RecentVisitors, type Undo } from '../recent-visitors';

interface Waiting {
  click: ClickToRecord;
  resolve: (result: { unique: boolean }) => void;
  reject: (error: unknown) => void;
}

const MAX_GROUP = 512;
/** Unique clicks of this visitor on this link in a stretch of time, found through the index by time. */
export const UNIQUE_CLICK_BETWEEN =
  'SELECT 1 FROM clicks WHERE is_unique = 1 AND clicked_at > ? AND clicked_at <= ? AND link_id = ? AND visitor_hash = ? LIMIT 1';
const MAX_USER_AGENTS_CACHED = 10_000;
const WARM_PAGE = 10_000;

/**
 * Group commit: clicks that arrive in the same turn of the event loop are written in one
 * transaction, and every request in the group waits for that commit before its 302 goes out.
 * One commit per group instead of one per click is what lets the tracked redirect run close to
 * a bare 302 while P1 still holds. It is the same idea as `SyncQueries.transaction`, written
 * out by hand with positional better-sqlite3 statements: on this path the generic version
 * (named placeholders, a closure and a promise per unit) measured ~25 % fewer redirects/s.
 * The unique flag comes from `RecentVisitors`, filled at start with the last hour of unique
 * clicks, so a click writes the click row, its id and (if unique) an entry at the end of the
 * index by time: no B-tree by visitor (migration 0013).
 */
export function createSqliteClickRecorder(
  db: BetterSqlite3.Database,
  /** Pairs of (link, visitor) the unique flag keeps in memory before it spills the oldest to the store. */
  options: { maxRemembered?: number } = {},
): ClickRecorder {
  const insert = db.prepare(`INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at,
      ip_hash, visitor_hash, user_agent_id, browser, os, device, is_bot, is_unique, country, referer_host,
      sub1, sub2, sub3, sub4, sub5, paid_search_param)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const recent = rememberLastHour(db, options.maxRemembered);

  const userAgents = userAgentIds(db);

  // Clicks of the same millisecond share their time text: parse it once.
  let lastClickedAt = '';
  let lastClickedAtMs = Number.NaN;
  const insertGroup = db.transaction((group: Waiting[], undo: Undo[], newAgents: string[]) => {
    const results: boolean[] = [];
    for (const { click } of group) {
      if (click.clickedAt !== lastClickedAt) {
        lastClickedAtMs = Date.parse(click.clickedAt);
        lastClickedAt = click.clickedAt;
      }
      const unique = recent.decide(click.linkId, click.visitorHash, lastClickedAtMs, click.isBot, undo);
      const s = click.subIds;
      insert.run(
        click.clickId,
        click.linkId,
        click.programId,
        click.affiliateId,
        click.clickedAt,
        click.ipHash,
        click.visitorHash,
        userAgents.idOf(click.userAgent, newAgents),
        click.browser,
        click.os,
        click.device,
        click.isBot ? 1 : 0,
        unique ? 1 : 0,
        click.country,
        click.refererHost,
        s.sub1 ?? null,
        s.sub2 ?? null,
        s.sub3 ?? null,
        s.sub4 ?? null,
        s.sub5 ?? null,
        click.paidSearchParam,
      );
      results.push(unique);
    }
    return results;
  });
  const writeGroup = (group: Waiting[]): boolean[] => {
    const undo: Undo[] = [];
    const newAgents: string[] = [];
    try {
      return insertGroup(group, undo, newAgents);
    } catch (error) {
      recent.undo(undo);
      userAgents.forget(newAgents);
      throw error;
    }
  };

  let waiting: Waiting[] = [];
  let scheduled = false;

  function commit(): void {
    scheduled = false;
    if (db.inTransaction) {
      // A Kysely transaction is open on this same connection (it spans awaits). Writing now
      // would nest our group inside it as a savepoint and tie the clicks' fate to it: wait.
      scheduled = true;
      setImmediate(commit);
      return;
    }
    const group = waiting;
    waiting = [];
    if (group.length === 0) return;
    try {
      const results = writeGroup(group);
      group.forEach((w, i) => w.resolve({ unique: results[i]! }));
    } catch {
      // One bad row must not cost the whole group its tracking: retry each click alone.
      for (const w of group) {
        try {
          w.resolve({ unique: writeGroup([w])[0]! });
        } catch (error) {
          w.reject(error);
        }
      }
    }
  }

  return {
    record(click) {
      return new Promise((resolve, reject) => {
        waiting.push({ click, resolve, reject });
        if (waiting.length >= MAX_GROUP) commit();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(commit);
        }
      });
    },
    flush() {
      // Resolves once everything waiting is committed, also when a transaction defers it.
      return new Promise<void>((resolve) => {
        const attempt = () => {
          if (db.inTransaction) return setImmediate(attempt);
          commit();
          resolve();
        };
        attempt();
      });
    },
  };
}

/**
 * The unique-flag memory, filled with the unique clicks of the hour before the newest one stored.
 * The pairs a previous process spilled are not needed: their clicks are in that hour or older
 * than any window still open, so the table starts empty and holds this process's spills only.
 */
function rememberLastHour(db: BetterSqlite3.Database, maxRemembered: number | undefined): RecentVisitors {
  const iso = (ms: number) => new Date(ms).toISOString();
  const storedBetween = db.prepare(UNIQUE_CLICK_BETWEEN);
  const spilledSince = db.prepare('SELECT 1 FROM unique_visitors WHERE link_id = ? AND visitor_hash = ? AND clicked_at > ?');
  const spill = db.prepare(`INSERT INTO unique_visitors (link_id, visitor_hash, clicked_at) VALUES (?, ?, ?)
    ON CONFLICT (link_id, visitor_hash) DO UPDATE SET clicked_at = excluded.clicked_at WHERE excluded.clicked_at > clicked_at`);
  const clearSpilled = db.prepare('DELETE FROM unique_visitors');
  const newest = db.prepare('SELECT max(clicked_at) FROM clicks WHERE is_unique = 1').pluck().get() as string | null;
  const horizonMs = newest === null ? -Infinity : Date.parse(newest) - UNIQUE_CLICK_WINDOW_MS;
  const recent = new RecentVisitors(
    {
      storedBetween: (linkId, visitorHash, sinceMs, untilMs) =>
        storedBetween.get(iso(sinceMs), iso(untilMs), linkId, visitorHash) !== undefined,
      spilledSince: (linkId, visitorHash, sinceMs) => spilledSince.get(linkId, visitorHash, iso(sinceMs)) !== undefined,
      spill: (linkId, visitorHash, atMs) => spill.run(linkId, visitorHash, iso(atMs)),
      clearSpilled: () => clearSpilled.run(),
    },
    horizonMs,
    maxRemembered,
  );
  // In pages: better-sqlite3 allows no other statement (a spill) while one is iterating.
  const page = db.prepare(`SELECT id, link_id, visitor_hash, clicked_at FROM clicks
    WHERE is_unique = 1 AND (clicked_at, id) > (?, ?) ORDER BY clicked_at, id LIMIT ${WARM_PAGE}`);
  db.transaction(() => {
    clearSpilled.run();
    if (newest === null) return;
    let after: [string, number] = [iso(horizonMs), Number.MAX_SAFE_INTEGER];
    for (;;) {
      const rows = page.raw().all(...after) as [number, number, string, string][];
      for (const [, linkId, visitorHash, clickedAt] of rows) recent.remember(linkId, visitorHash, Date.parse(clickedAt));
      if (rows.length < WARM_PAGE) break;
      const last = rows[rows.length - 1]!;
      after = [last[3], last[0]];
    }
  })();
  return recent;
}

/**
 * User agent ids, remembered per agent string: a click names its agent by id (migration 0011).
 * A new agent is inserted in the click's own transaction; if that group rolls back, its new
 * agents are forgotten, so no click is ever written with the id of a row that was never committed.
 */
function userAgentIds(db: BetterSqlite3.Database) {
  const insert = db.prepare(INSERT_USER_AGENT);
  const select = db.prepare('SELECT id FROM user_agents WHERE user_agent = ?').pluck();
  const ids = new Map<string, number>();
  return {
    idOf(userAgent: string, added: string[]): number {
      const known = ids.get(userAgent);
      if (known !== undefined) return known;
      insert.run(userAgent);
      const id = select.get(userAgent) as number;
      if (ids.size >= MAX_USER_AGENTS_CACHED) ids.clear();
      ids.set(userAgent, id);
      added.push(userAgent);
      return id;
    },
    forget(agents: readonly string[]): void {
      for (const agent of agents) ids.delete(agent);
    },
  };
}
