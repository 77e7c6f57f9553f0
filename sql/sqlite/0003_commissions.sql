-- Commission engine: versioned plans, per-affiliate rates, the append-only ledger.

-- An order is paid under the plan in force when it was placed; a plan change is a new version,
-- never an edit of the one past orders were paid under.
CREATE TABLE plan_versions (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  version INTEGER NOT NULL,
  plan TEXT NOT NULL, -- JSON, as validated by the API
  effective_from TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (program_id, version)
) WITHOUT ROWID;
INSERT INTO plan_versions (program_id, version, plan, effective_from, created_at)
  SELECT id, 1, plan, '1970-01-01T00:00:00.000Z', created_at FROM programs;

-- A custom rate for one affiliate in one program, replacing the plan's default and tiers for
-- orders placed from effective_from on; NULL ends it. Kept as history, like plan versions.
CREATE TABLE affiliate_rates (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  effective_from TEXT NOT NULL,
  rate_bp INTEGER CHECK (rate_bp BETWEEN 0 AND 10000),
  PRIMARY KEY (program_id, affiliate_id, effective_from)
) WITHOUT ROWID;

-- The merchant's decision on a held order.
ALTER TABLE orders ADD COLUMN review TEXT CHECK (review IN ('released', 'rejected'));

-- Every change of what an order earns is a new entry; amounts are never edited. The entries of
-- an order's slot (a line, a bonus, the cap, the recruiter's share) sum to its current amount.
-- entry_id is deterministic (order, slot, beneficiary, sequence), so a re-run adds nothing (P9).
CREATE TABLE ledger_entries (
  id INTEGER PRIMARY KEY,
  entry_id TEXT NOT NULL UNIQUE,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  program_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  slot TEXT NOT NULL,
  line_index INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('accrual', 'adjustment', 'reversal', 'clawback', 'override')),
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
  status_changed_at TEXT NOT NULL
);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id, slot);
CREATE INDEX ledger_entries_affiliate ON ledger_entries (affiliate_id, status);
