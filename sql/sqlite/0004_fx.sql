-- Currency conversion at stored rates (P18). Rates are only ever added; an order converted once
-- keeps the rate it was converted at, whatever the table says later.
CREATE TABLE fx_rates (
  base TEXT NOT NULL,
  quote TEXT NOT NULL,
  effective_at TEXT NOT NULL,
  rate TEXT NOT NULL, -- decimal string: 1 base = rate quote
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (base, quote, effective_at)
) WITHOUT ROWID;

ALTER TABLE orders ADD COLUMN fx_rate TEXT;
ALTER TABLE orders ADD COLUMN fx_source TEXT;
ALTER TABLE orders ADD COLUMN fx_effective_at TEXT;

ALTER TABLE ledger_entries ADD COLUMN fx_rate TEXT;
ALTER TABLE ledger_entries ADD COLUMN fx_source TEXT;
ALTER TABLE ledger_entries ADD COLUMN fx_effective_at TEXT;
ALTER TABLE ledger_entries ADD COLUMN order_currency TEXT;
