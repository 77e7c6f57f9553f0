-- Payouts: finance turns approved commission into money sent.

ALTER TABLE affiliates ADD COLUMN payout_method TEXT CHECK (payout_method IN ('paypal', 'wise', 'bank'));
ALTER TABLE affiliates ADD COLUMN payout_details TEXT; -- JSON, per method

CREATE TABLE payouts (
  id INTEGER PRIMARY KEY,
  as_of TEXT NOT NULL,
  minimum_amount TEXT NOT NULL, -- decimal string, applied in each currency
  currency TEXT, -- only this currency, or NULL for all
  status TEXT NOT NULL CHECK (status IN ('created', 'paid', 'failed', 'cancelled')),
  created_at TEXT NOT NULL,
  settled_at TEXT
);

-- One line per affiliate and currency: never a cross-currency sum.
CREATE TABLE payout_lines (
  payout_id INTEGER NOT NULL REFERENCES payouts (id),
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  currency TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  entries INTEGER NOT NULL,
  PRIMARY KEY (payout_id, affiliate_id, currency)
) WITHOUT ROWID;

-- The ledger entries a payout pays. An entry is in at most one live payout, enforced here: two
-- runs at once cannot both take it. A failed or cancelled payout releases its entries (active 0)
-- and keeps the record.
CREATE TABLE payout_entries (
  payout_id INTEGER NOT NULL REFERENCES payouts (id),
  entry_id TEXT NOT NULL REFERENCES ledger_entries (entry_id),
  affiliate_id INTEGER NOT NULL,
  currency TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (payout_id, entry_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX payout_entries_live ON payout_entries (entry_id) WHERE active = 1;
