-- The twin of sql/sqlite/0020_manual_adjustments.sql (why each column is there: that file).
-- PostgreSQL relaxes `order_id NOT NULL` and widens the kind CHECK in place, so ledger_entries
-- keeps its rows, ids, indexes, triggers and payout_entries' references; SQLite rebuilds it.
ALTER TABLE ledger_entries ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('accrual', 'adjustment', 'reversal', 'clawback', 'override', 'manual'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_order_or_manual CHECK (order_id IS NOT NULL OR kind = 'manual');

-- ledger_to_outbound() gets the order optional and the manual kind in 0023, with per-program
-- postbacks too: the two files are always applied together, so it is written once, there.

-- The id is picked by the unit of work (max(id) + 1, src/use-cases/adjustments.ts), as for
-- merchants, affiliates, programs and payouts: no identity.
CREATE TABLE adjustments (
  id BIGINT PRIMARY KEY,
  entry_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES ledger_entries (entry_id),
  merchant_id BIGINT NOT NULL REFERENCES merchants (id),
  program_id BIGINT NOT NULL REFERENCES programs (id),
  affiliate_id BIGINT NOT NULL REFERENCES affiliates (id),
  order_id BIGINT REFERENCES orders (id),
  amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
  currency TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C" NOT NULL,
  reverses BIGINT UNIQUE REFERENCES adjustments (id),
  actor_key_id BIGINT NOT NULL,
  actor_role TEXT COLLATE "C" NOT NULL,
  ref TEXT COLLATE "C" NOT NULL,
  request_hash TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX adjustments_ref ON adjustments (merchant_id, ref);
CREATE INDEX adjustments_by_program ON adjustments (program_id, id);

-- Never edited, never deleted: undone only by a reversing adjustment.
CREATE FUNCTION adjustments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'adjustments are append-only';
END $$;
CREATE TRIGGER adjustments_no_update BEFORE UPDATE ON adjustments
  FOR EACH ROW EXECUTE FUNCTION adjustments_append_only();
CREATE TRIGGER adjustments_no_delete BEFORE DELETE ON adjustments
  FOR EACH ROW EXECUTE FUNCTION adjustments_append_only();
