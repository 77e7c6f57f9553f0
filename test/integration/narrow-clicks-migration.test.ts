import { describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../src/store/sqlite/sqlite-migrate';
import { storeBeforeMigration } from '../support/store-before-migration';

describe('migration 0011 on a store with clicks', () => {
  it('moves each click’s agent into user_agents, stored once, and drops the index of every click by visitor', () => {
    const db = storeBeforeMigration('0011');
    const insert = db.prepare(
      `INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at, ip_hash, visitor_hash, user_agent,
         browser, os, device, is_bot, is_unique, country, referer_host) VALUES (?, 1, 1, 1, ?, 'ip', ?, ?, '', '', '', ?, ?, '', '')`,
    );
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const bot = 'Googlebot/2.1 (+http://www.google.com/bot.html)';
    insert.run('c1', '2026-11-01T10:00:00.000Z', 'v1', firefox, 0, 1);
    insert.run('c2', '2026-11-01T10:10:00.000Z', 'v1', firefox, 0, 0);
    insert.run('c3', '2026-11-01T10:20:00.000Z', 'v2', bot, 1, 0);
    insert.run('c4', '2026-11-01T10:30:00.000Z', 'v3', '', 0, 1);

    expect(migrateSqlite(db).applied).toContain('0011_narrow_clicks.sql');

    const rows = db
      .prepare(
        `SELECT click_id, user_agents.user_agent FROM clicks
         JOIN user_agents ON user_agents.id = clicks.user_agent_id ORDER BY clicks.id`,
      )
      .all();
    expect(rows).toEqual([
      { click_id: 'c1', user_agent: firefox },
      { click_id: 'c2', user_agent: firefox },
      { click_id: 'c3', user_agent: bot },
      { click_id: 'c4', user_agent: '' },
    ]);
    expect(db.prepare('SELECT count(*) FROM user_agents').pluck().get()).toBe(3);
    const columns = (db.prepare('PRAGMA table_info(clicks)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('user_agent');
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'clicks_visitor'").pluck().get()).toBe(0);
    db.close();
  });
});

describe('migration 0013 on a store with clicks', () => {
  it('copies each pair’s newest unique click of the last hour into unique_visitors and indexes unique clicks by time', () => {
    const db = storeBeforeMigration('0013');
    const insert = db.prepare(
      `INSERT INTO clicks (click_id, link_id, program_id, affiliate_id, clicked_at, ip_hash, visitor_hash, user_agent_id,
         browser, os, device, is_bot, is_unique, country, referer_host) VALUES (?, ?, 1, 1, ?, 'ip', ?, 1, '', '', '', 0, ?, '', '')`,
    );
    insert.run('c1', 1, '2026-11-01T08:00:00.000Z', 'v1', 1);
    insert.run('c2', 1, '2026-11-01T08:30:00.000Z', 'v2', 1); // the hour before the newest unique click ended before it
    insert.run('c3', 1, '2026-11-01T09:45:00.000Z', 'v1', 1);
    insert.run('c4', 1, '2026-11-01T10:00:00.000Z', 'v1', 0); // a repeat: not the pair's counted click
    insert.run('c5', 2, '2026-11-01T10:05:00.000Z', 'v1', 1);
    insert.run('c6', 1, '2026-11-01T10:30:00.000Z', 'v3', 1);

    expect(migrateSqlite(db).applied).toContain('0013_unique_visitors.sql');

    expect(db.prepare('SELECT link_id, visitor_hash, clicked_at FROM unique_visitors ORDER BY clicked_at').raw().all()).toEqual([
      [1, 'v1', '2026-11-01T09:45:00.000Z'],
      [2, 'v1', '2026-11-01T10:05:00.000Z'],
      [1, 'v3', '2026-11-01T10:30:00.000Z'],
    ]);
    const byTime = db.prepare(
      'SELECT click_id FROM clicks INDEXED BY clicks_unique_time WHERE is_unique = 1 ORDER BY clicked_at',
    );
    expect(byTime.pluck().all()).toEqual(['c1', 'c2', 'c3', 'c5', 'c6']);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'clicks_unique_visitor'").pluck().get()).toBe(0);
    db.close();
  });
});
