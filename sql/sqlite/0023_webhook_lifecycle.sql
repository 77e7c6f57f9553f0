-- Webhook endpoint lifecycle and per-program postbacks (docs/webhooks.md, issue 22).
--
-- paused_at: the owner paused the endpoint; its deliveries are still made and wait, sent on resume.
-- disabled_at / disabled_reason: the dispatcher turned it off after a long run of failures (or,
--   later, an operator); deliveries wait as for a pause, and resume turns it back on.
-- previous_secret / previous_secret_expires_at: the secret a rotation replaced, which still signs
--   (next to the new one) until it expires, so receivers can switch without losing a message.
-- consecutive_failures / failing_since: the current run of failed attempts, reset by a success.
ALTER TABLE webhook_endpoints ADD COLUMN paused_at TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_reason TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN failing_since TEXT;

-- Set while a sender holds the delivery (its next_attempt_at is then a lease, not a backoff), so a
-- Node server restarted after a crash can hand interrupted attempts straight back: it owns DATA_DIR
-- alone, so no other sender can still be holding them.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_at TEXT;

-- The affiliate log reads its own postback deliveries, newest first.
CREATE INDEX webhook_deliveries_by_postback ON webhook_deliveries (postback_affiliate_id, id) WHERE postback_affiliate_id IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id) WHERE endpoint_id IS NOT NULL;

-- An affiliate's postback URL for one program, used instead of its default (affiliate_postbacks).
CREATE TABLE affiliate_program_postbacks (
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  program_id INTEGER NOT NULL REFERENCES programs (id),
  url TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (affiliate_id, program_id)
) WITHOUT ROWID;

-- An endpoint the dispatcher disabled leaves an `endpoint.disabled` row in the outbox, in the same
-- unit of work: nothing is delivered for it yet (the owner's mail is a later issue), but the mail
-- sender will find every disabling there, none lost.
CREATE TRIGGER webhook_endpoints_disabled AFTER UPDATE OF disabled_at ON webhook_endpoints
WHEN OLD.disabled_at IS NULL AND NEW.disabled_at IS NOT NULL
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('endpoint.disabled', NEW.merchant_id, NULL, NEW.id, json_object(
    'url', NEW.url, 'disabled_at', NEW.disabled_at, 'reason', NEW.disabled_reason,
    'consecutive_failures', NEW.consecutive_failures, 'failing_since', NEW.failing_since), NEW.disabled_at);
END;

-- The ledger triggers of 0020 (0015 with the order optional and manual adjustments) again,
-- listening to per-program postback URLs too.
DROP TRIGGER ledger_to_outbound_insert;
DROP TRIGGER ledger_to_outbound_update;
CREATE TRIGGER ledger_to_outbound_insert AFTER INSERT ON ledger_entries
WHEN EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
  OR EXISTS (SELECT 1 FROM affiliate_program_postbacks WHERE affiliate_id = NEW.affiliate_id AND program_id = NEW.program_id)
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
    OR EXISTS (SELECT 1 FROM affiliate_program_postbacks WHERE affiliate_id = NEW.affiliate_id AND program_id = NEW.program_id)
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
