-- Manual adjustments (docs/finance.md): a bonus or a penalty a merchant or finance adds by hand,
-- on an order or on none. It is a ledger entry of its own kind, `manual`, so it flows wherever
-- commission flows (earnings, payouts, the ClickHouse export, reconciliation, outbound events).
-- ledger_entries is rebuilt because SQLite cannot relax `order_id NOT NULL` nor widen the kind
-- CHECK in place: same columns in the same order, same rows and ids; its indexes and triggers are
-- made again below, the outbound ones with LEFT JOIN orders so an entry without an order still
-- emits its event. payout_entries, the one table referring to ledger_entries, is set aside and
-- made again around the swap: dropping a table others refer to counts their rows as foreign-key
-- violations, and a migration runs in a transaction, where foreign keys cannot be switched off
-- (on SQLite; D1 has no such switch at all).

CREATE TABLE ledger_entries_next (
  id INTEGER PRIMARY KEY,
  entry_id TEXT NOT NULL UNIQUE,
  order_id INTEGER REFERENCES orders (id), -- NULL only for a manual adjustment on no order
  program_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  slot TEXT NOT NULL,
  line_index INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('accrual', 'adjustment', 'reversal', 'clawback', 'override', 'manual')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'held', 'reversed', 'paid')),
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  base_minor INTEGER,
  rate_bp INTEGER,
  rule TEXT NOT NULL,
  plan_version INTEGER NOT NULL,
  explanation TEXT NOT NULL,
  as_of TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status_changed_at TEXT NOT NULL,
  fx_rate TEXT,
  fx_source TEXT,
  fx_effective_at TEXT,
  order_currency TEXT,
  CHECK (order_id IS NOT NULL OR kind = 'manual')
);
INSERT INTO ledger_entries_next
  SELECT id, entry_id, order_id, program_id, affiliate_id, slot, line_index, kind, status, amount_minor, currency,
    base_minor, rate_bp, rule, plan_version, explanation, as_of, created_at, status_changed_at, fx_rate, fx_source,
    fx_effective_at, order_currency
  FROM ledger_entries;
CREATE TABLE payout_entries_kept (payout_id INTEGER, entry_id TEXT, affiliate_id INTEGER, currency TEXT, active INTEGER);
INSERT INTO payout_entries_kept SELECT payout_id, entry_id, affiliate_id, currency, active FROM payout_entries;
DROP TABLE payout_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_next RENAME TO ledger_entries;
CREATE INDEX ledger_entries_order ON ledger_entries (order_id, slot);
CREATE INDEX ledger_entries_affiliate ON ledger_entries (affiliate_id, status);

-- As 0005.
CREATE TABLE payout_entries (
  payout_id INTEGER NOT NULL REFERENCES payouts (id),
  entry_id TEXT NOT NULL REFERENCES ledger_entries (entry_id),
  affiliate_id INTEGER NOT NULL,
  currency TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (payout_id, entry_id)
) WITHOUT ROWID;
INSERT INTO payout_entries (payout_id, entry_id, affiliate_id, currency, active)
  SELECT payout_id, entry_id, affiliate_id, currency, active FROM payout_entries_kept;
DROP TABLE payout_entries_kept;
CREATE UNIQUE INDEX payout_entries_live ON payout_entries (entry_id) WHERE active = 1;

-- As 0012.
CREATE TRIGGER ledger_to_clickhouse_insert AFTER INSERT ON ledger_entries
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('ledger', NEW.id);
END;
CREATE TRIGGER ledger_to_clickhouse_update AFTER UPDATE OF status ON ledger_entries
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('ledger', NEW.id);
END;

-- As 0015, with the order optional. A manual adjustment is commission.created when it adds and
-- commission.reversed when it takes back (its reversal included), with kind `manual`.
CREATE TRIGGER ledger_to_outbound_insert AFTER INSERT ON ledger_entries
WHEN EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
  OR EXISTS (SELECT 1 FROM webhook_endpoints w JOIN programs p ON p.merchant_id = w.merchant_id
             WHERE p.id = NEW.program_id AND w.deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  SELECT CASE WHEN NEW.kind IN ('accrual', 'override') OR (NEW.kind = 'manual' AND NEW.amount_minor > 0)
      THEN 'commission.created' ELSE 'commission.reversed' END,
    p.merchant_id, NEW.affiliate_id, NEW.id, json_object(
      'entry_id', NEW.entry_id, 'order_external_id', o.external_id, 'order_click_id', o.click_id,
      'order_revenue_minor', coalesce(o.revenue_minor - o.refunded_minor, 0), 'order_currency', coalesce(o.currency, NEW.currency),
      'link_id', o.link_id, 'program_id', NEW.program_id, 'affiliate_id', NEW.affiliate_id, 'slot', NEW.slot,
      'kind', NEW.kind, 'status', NEW.status, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
      'base_minor', NEW.base_minor, 'rate_bp', NEW.rate_bp, 'rule', NEW.rule, 'plan_version', NEW.plan_version,
      'explanation', NEW.explanation, 'created_at', NEW.created_at, 'status_changed_at', NEW.status_changed_at,
      'fx_rate', NEW.fx_rate, 'fx_source', NEW.fx_source, 'fx_effective_at', NEW.fx_effective_at),
    NEW.created_at
  FROM programs p LEFT JOIN orders o ON o.id = NEW.order_id WHERE p.id = NEW.program_id;
END;
CREATE TRIGGER ledger_to_outbound_update AFTER UPDATE OF status ON ledger_entries
WHEN OLD.status IS NOT NEW.status AND NEW.status IN ('approved', 'reversed')
  AND (EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
    OR EXISTS (SELECT 1 FROM webhook_endpoints w JOIN programs p ON p.merchant_id = w.merchant_id
               WHERE p.id = NEW.program_id AND w.deleted_at IS NULL))
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  SELECT CASE NEW.status WHEN 'approved' THEN 'commission.approved' ELSE 'commission.reversed' END,
    p.merchant_id, NEW.affiliate_id, NEW.id, json_object(
      'entry_id', NEW.entry_id, 'order_external_id', o.external_id, 'order_click_id', o.click_id,
      'order_revenue_minor', coalesce(o.revenue_minor - o.refunded_minor, 0), 'order_currency', coalesce(o.currency, NEW.currency),
      'link_id', o.link_id, 'program_id', NEW.program_id, 'affiliate_id', NEW.affiliate_id, 'slot', NEW.slot,
      'kind', NEW.kind, 'status', NEW.status, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
      'base_minor', NEW.base_minor, 'rate_bp', NEW.rate_bp, 'rule', NEW.rule, 'plan_version', NEW.plan_version,
      'explanation', NEW.explanation, 'created_at', NEW.created_at, 'status_changed_at', NEW.status_changed_at,
      'fx_rate', NEW.fx_rate, 'fx_source', NEW.fx_source, 'fx_effective_at', NEW.fx_effective_at),
    NEW.status_changed_at
  FROM programs p LEFT JOIN orders o ON o.id = NEW.order_id WHERE p.id = NEW.program_id;
END;

-- One row per manual adjustment: who made it, why, and the ledger entry it appended
-- (entry_id 'manual:<id>'). A reversal is an adjustment of the opposite amount naming the one it
-- undoes; UNIQUE (reverses) lets an adjustment be undone once. `ref` is the client's
-- Idempotency-Key (or a bulk row's reference), unique per merchant, so a retried POST adds
-- nothing; request_hash tells a retry from a different request under the same key.
CREATE TABLE adjustments (
  id INTEGER PRIMARY KEY,
  entry_id TEXT NOT NULL UNIQUE REFERENCES ledger_entries (entry_id),
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  program_id INTEGER NOT NULL REFERENCES programs (id),
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  order_id INTEGER REFERENCES orders (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  reverses INTEGER UNIQUE REFERENCES adjustments (id),
  actor_key_id INTEGER NOT NULL,
  actor_role TEXT NOT NULL,
  ref TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX adjustments_ref ON adjustments (merchant_id, ref);
CREATE INDEX adjustments_by_program ON adjustments (program_id, id);

-- Never edited, never deleted: undone only by a reversing adjustment.
CREATE TRIGGER adjustments_no_update BEFORE UPDATE ON adjustments
BEGIN
  SELECT RAISE(ABORT, 'adjustments are append-only');
END;
CREATE TRIGGER adjustments_no_delete BEFORE DELETE ON adjustments
BEGIN
  SELECT RAISE(ABORT, 'adjustments are append-only');
END;
