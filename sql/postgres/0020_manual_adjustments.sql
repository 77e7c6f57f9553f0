-- The twin of sql/sqlite/0020_manual_adjustments.sql (why each column is there: that file).
-- PostgreSQL relaxes `order_id NOT NULL` and widens the kind CHECK in place, so ledger_entries
-- keeps its rows, ids, indexes, triggers and payout_entries' references; SQLite rebuilds it.
ALTER TABLE ledger_entries ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('accrual', 'adjustment', 'reversal', 'clawback', 'override', 'manual'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_order_or_manual CHECK (order_id IS NOT NULL OR kind = 'manual');

-- As 0001's ledger_to_outbound, with the order optional (LEFT JOIN, the order's fields NULL and
-- its revenue 0, its currency the entry's). A manual adjustment is commission.created when it
-- adds and commission.reversed when it takes back (its reversal included), with kind `manual`.
-- The triggers of 0001 keep calling this function by name.
CREATE OR REPLACE FUNCTION ledger_to_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.status IS NOT DISTINCT FROM NEW.status OR NEW.status NOT IN ('approved', 'reversed')) THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
    AND NOT EXISTS (SELECT 1 FROM webhook_endpoints w JOIN programs p ON p.merchant_id = w.merchant_id
                    WHERE p.id = NEW.program_id AND w.deleted_at IS NULL) THEN
    RETURN NULL;
  END IF;
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  SELECT CASE
      WHEN TG_OP = 'INSERT' THEN
        CASE WHEN NEW.kind IN ('accrual', 'override') OR (NEW.kind = 'manual' AND NEW.amount_minor > 0)
          THEN 'commission.created' ELSE 'commission.reversed' END
      WHEN NEW.status = 'approved' THEN 'commission.approved' ELSE 'commission.reversed' END,
    p.merchant_id, NEW.affiliate_id, NEW.id, json_build_object(
      'entry_id', NEW.entry_id, 'order_external_id', o.external_id, 'order_click_id', o.click_id,
      'order_revenue_minor', coalesce(o.revenue_minor - o.refunded_minor, 0), 'order_currency', coalesce(o.currency, NEW.currency),
      'link_id', o.link_id, 'program_id', NEW.program_id, 'affiliate_id', NEW.affiliate_id, 'slot', NEW.slot,
      'kind', NEW.kind, 'status', NEW.status, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
      'base_minor', NEW.base_minor, 'rate_bp', NEW.rate_bp, 'rule', NEW.rule, 'plan_version', NEW.plan_version,
      'explanation', NEW.explanation, 'created_at', NEW.created_at, 'status_changed_at', NEW.status_changed_at,
      'fx_rate', NEW.fx_rate, 'fx_source', NEW.fx_source, 'fx_effective_at', NEW.fx_effective_at)::text,
    CASE TG_OP WHEN 'INSERT' THEN NEW.created_at ELSE NEW.status_changed_at END
  FROM programs p LEFT JOIN orders o ON o.id = NEW.order_id WHERE p.id = NEW.program_id;
  RETURN NULL;
END $$;

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
