-- The twin of sql/sqlite/0023_webhook_lifecycle.sql (why each column is there: that file).
ALTER TABLE webhook_endpoints ADD COLUMN paused_at TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN failing_since TEXT COLLATE "C";

ALTER TABLE webhook_deliveries ADD COLUMN claimed_at TEXT COLLATE "C";

CREATE INDEX webhook_deliveries_by_postback ON webhook_deliveries (postback_affiliate_id, id) WHERE postback_affiliate_id IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id) WHERE endpoint_id IS NOT NULL;

CREATE TABLE affiliate_program_postbacks (
  affiliate_id BIGINT NOT NULL REFERENCES affiliates (id),
  program_id BIGINT NOT NULL REFERENCES programs (id),
  url TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (affiliate_id, program_id)
);

CREATE FUNCTION webhook_endpoint_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.disabled_at IS NOT NULL OR NEW.disabled_at IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('endpoint.disabled', NEW.merchant_id, NULL, NEW.id, json_build_object(
    'url', NEW.url, 'disabled_at', NEW.disabled_at, 'reason', NEW.disabled_reason,
    'consecutive_failures', NEW.consecutive_failures, 'failing_since', NEW.failing_since)::text, NEW.disabled_at);
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_endpoints_disabled AFTER UPDATE OF disabled_at ON webhook_endpoints
  FOR EACH ROW EXECUTE FUNCTION webhook_endpoint_disabled();

-- As 0001's ledger_to_outbound, with the order optional (LEFT JOIN, the order's fields NULL and
-- its revenue 0, its currency the entry's); a manual adjustment (0020) is commission.created
-- when it adds and commission.reversed when it takes back, with kind `manual`; and listening to
-- per-program postback URLs too. The triggers of 0001 keep calling it by name.
CREATE OR REPLACE FUNCTION ledger_to_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.status IS NOT DISTINCT FROM NEW.status OR NEW.status NOT IN ('approved', 'reversed')) THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
    AND NOT EXISTS (SELECT 1 FROM affiliate_program_postbacks WHERE affiliate_id = NEW.affiliate_id AND program_id = NEW.program_id)
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
