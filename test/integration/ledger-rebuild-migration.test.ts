import { describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../src/store/sqlite/sqlite-migrate';
import { storeBeforeMigration } from '../support/store-before-migration';

describe('migration 0020 on a store with a ledger and a payout', () => {
  it('keeps every entry and its id, the payout reference, the indexes and the triggers, and takes an entry with no order', () => {
    const db = storeBeforeMigration('0020');
    const at = '2026-11-01T10:00:00.000Z';
    db.exec(`
      INSERT INTO merchants (id, name, created_at) VALUES (1, 'Shop', '${at}');
      INSERT INTO affiliates (id, name, created_at) VALUES (1, 'Blog', '${at}');
      INSERT INTO programs (id, merchant_id, name, landing_url, allowed_domains, currency, cookie_days, lock_days, plan, created_at, updated_at)
        VALUES (1, 1, 'P', 'https://shop.example/', '[]', 'EUR', 30, 0, '{}', '${at}', '${at}');
      INSERT INTO orders (id, merchant_id, program_id, external_id, currency, placed_at, attribution_method, attribution_reason, receipt, status,
          snapshot, snapshot_at, revenue_minor, refunded_minor, created_at, updated_at, affiliate_id)
        VALUES (1, 1, 1, 'O-1', 'EUR', '${at}', 'click', 'ok', '{}', 'completed', '{}', '${at}', 10000, 0, '${at}', '${at}', 1);
      INSERT INTO ledger_entries (id, entry_id, order_id, program_id, affiliate_id, slot, kind, status, amount_minor, currency, rule,
          plan_version, explanation, as_of, created_at, status_changed_at, fx_rate)
        VALUES (7, '1:line:0:1:1', 1, 1, 1, 'line:0', 'accrual', 'approved', 800, 'EUR', 'default', 1, 'x', '${at}', '${at}', '${at}', '1.5');
      INSERT INTO payouts (id, as_of, minimum_amount, status, created_at) VALUES (1, '${at}', '1.00', 'created', '${at}');
      INSERT INTO payout_entries (payout_id, entry_id, affiliate_id, currency) VALUES (1, '1:line:0:1:1', 1, 'EUR');
    `);
    expect(migrateSqlite(db).applied).toContain('0020_manual_adjustments.sql');
    expect(db.prepare('SELECT id, entry_id, order_id, amount_minor, fx_rate FROM ledger_entries').all()).toEqual([
      { id: 7, entry_id: '1:line:0:1:1', order_id: 1, amount_minor: 800, fx_rate: '1.5' },
    ]);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    expect(db.prepare('SELECT payout_id, entry_id, active FROM payout_entries').all()).toEqual([
      { payout_id: 1, entry_id: '1:line:0:1:1', active: 1 },
    ]);
    // The unique index on live payout entries is back: a second live payout of the entry is refused.
    db.prepare(`INSERT INTO payouts (id, as_of, minimum_amount, status, created_at) VALUES (2, ?, '1.00', 'created', ?)`).run(
      at,
      at,
    );
    expect(() =>
      db
        .prepare(`INSERT INTO payout_entries (payout_id, entry_id, affiliate_id, currency) VALUES (2, '1:line:0:1:1', 1, 'EUR')`)
        .run(),
    ).toThrow(/UNIQUE constraint failed/);
    const names = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'ledger_entries' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as { name: string }[]
    ).map((r) => r.name);
    expect(names).toEqual([
      'ledger_entries',
      'ledger_entries_affiliate',
      'ledger_entries_order',
      'ledger_to_clickhouse_insert',
      'ledger_to_clickhouse_update',
      'ledger_to_outbound_insert',
      'ledger_to_outbound_update',
    ]);
    // The outbox triggers still fire; an entry without an order is only a manual one.
    db.prepare(
      `INSERT INTO ledger_entries (entry_id, order_id, program_id, affiliate_id, slot, kind, status, amount_minor, currency, rule, plan_version,
         explanation, as_of, created_at, status_changed_at) VALUES ('manual:1', NULL, 1, 1, 'manual', 'manual', 'approved', 500, 'EUR', 'manual', 0, 'm', ?, ?, ?)`,
    ).run(at, at, at);
    expect(db.prepare("SELECT count(*) FROM clickhouse_outbox WHERE stream = 'ledger'").pluck().get()).toBeGreaterThan(0);
    expect(() =>
      db
        .prepare(
          `INSERT INTO ledger_entries (entry_id, order_id, program_id, affiliate_id, slot, kind, status, amount_minor, currency, rule, plan_version,
             explanation, as_of, created_at, status_changed_at) VALUES ('x', NULL, 1, 1, 's', 'accrual', 'approved', 1, 'EUR', 'r', 1, 'e', ?, ?, ?)`,
        )
        .run(at, at, at),
    ).toThrow(/CHECK constraint failed/);
    db.close();
  });
});
