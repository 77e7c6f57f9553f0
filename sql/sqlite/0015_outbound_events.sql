-- Outbound events (docs/webhooks.md). Merchants' webhook endpoints and affiliates' postback URLs
-- subscribe; `outbound_events` is the outbox. Its rows are written by triggers, inside the very
-- transaction (SQLite) or batch() (D1) that changes the order, ledger entry or payout, so a
-- rollback emits nothing and a committed change cannot lose its event. Each row keeps a snapshot
-- of the resource as it was at that moment; `seq` is the event's version.

CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY,
  -- NULL: an operator's endpoint (admin or finance key), which receives the payout events.
  merchant_id INTEGER REFERENCES merchants (id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id) WHERE deleted_at IS NULL;

CREATE TABLE affiliate_postbacks (
  affiliate_id INTEGER PRIMARY KEY REFERENCES affiliates (id),
  url TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE outbound_events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  merchant_id INTEGER,
  affiliate_id INTEGER,
  resource_id INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- One row per event and receiver (an endpoint, or an affiliate's postback), made by the
-- dispatcher after the event committed. next_attempt_at is also the claim: a sender moves it past
-- its timeout before sending, so two dispatchers never send the same attempt.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL REFERENCES outbound_events (seq),
  endpoint_id INTEGER REFERENCES webhook_endpoints (id),
  postback_affiliate_id INTEGER REFERENCES affiliates (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- Failures since the last success or replay: picks the next backoff step.
  failures INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error TEXT,
  next_attempt_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((endpoint_id IS NULL) <> (postback_affiliate_id IS NULL))
);
CREATE UNIQUE INDEX webhook_deliveries_once_per_endpoint ON webhook_deliveries (endpoint_id, event_seq) WHERE endpoint_id IS NOT NULL;
CREATE UNIQUE INDEX webhook_deliveries_once_per_postback ON webhook_deliveries (postback_affiliate_id, event_seq)
  WHERE postback_affiliate_id IS NOT NULL;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
  attempt INTEGER NOT NULL,
  attempted_at TEXT NOT NULL,
  status_code INTEGER,
  error TEXT,
  latency_ms INTEGER NOT NULL,
  -- The first 1 KB of the answer.
  response TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;

-- An attributed order, when its merchant has an endpoint: sale.created, then sale.updated when its
-- status or refunded amount moves.
CREATE TRIGGER orders_to_outbound_insert AFTER INSERT ON orders
WHEN NEW.affiliate_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE merchant_id = NEW.merchant_id AND deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('sale.created', NEW.merchant_id, NEW.affiliate_id, NEW.id, json_object(
    'external_id', NEW.external_id, 'program_id', NEW.program_id, 'status', NEW.status, 'currency', NEW.currency,
    'revenue_minor', NEW.revenue_minor, 'refunded_minor', NEW.refunded_minor, 'placed_at', NEW.placed_at,
    'completed_at', NEW.completed_at, 'attribution_method', NEW.attribution_method, 'link_id', NEW.link_id,
    'held', NEW.held, 'affiliate_id', NEW.affiliate_id, 'attribution_reason', NEW.attribution_reason,
    'click_id', NEW.click_id), NEW.updated_at);
END;
CREATE TRIGGER orders_to_outbound_update AFTER UPDATE ON orders
WHEN NEW.affiliate_id IS NOT NULL
  AND (OLD.status IS NOT NEW.status OR OLD.refunded_minor IS NOT NEW.refunded_minor OR OLD.revenue_minor IS NOT NEW.revenue_minor)
  AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE merchant_id = NEW.merchant_id AND deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('sale.updated', NEW.merchant_id, NEW.affiliate_id, NEW.id, json_object(
    'external_id', NEW.external_id, 'program_id', NEW.program_id, 'status', NEW.status, 'currency', NEW.currency,
    'revenue_minor', NEW.revenue_minor, 'refunded_minor', NEW.refunded_minor, 'placed_at', NEW.placed_at,
    'completed_at', NEW.completed_at, 'attribution_method', NEW.attribution_method, 'link_id', NEW.link_id,
    'held', NEW.held, 'affiliate_id', NEW.affiliate_id, 'attribution_reason', NEW.attribution_reason,
    'click_id', NEW.click_id), NEW.updated_at);
END;

-- Ledger entries, when the program's merchant has an endpoint or the affiliate a postback URL:
-- an accrual or override is commission.created, an adjustment, reversal or clawback is
-- commission.reversed (with its kind); approval and a pending entry's reversal are status moves.
CREATE TRIGGER ledger_to_outbound_insert AFTER INSERT ON ledger_entries
WHEN EXISTS (SELECT 1 FROM affiliate_postbacks WHERE affiliate_id = NEW.affiliate_id)
  OR EXISTS (SELECT 1 FROM webhook_endpoints w JOIN programs p ON p.merchant_id = w.merchant_id
             WHERE p.id = NEW.program_id AND w.deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  SELECT CASE WHEN NEW.kind IN ('accrual', 'override') THEN 'commission.created' ELSE 'commission.reversed' END,
    p.merchant_id, NEW.affiliate_id, NEW.id, json_object(
      'entry_id', NEW.entry_id, 'order_external_id', o.external_id, 'order_click_id', o.click_id,
      'order_revenue_minor', o.revenue_minor - o.refunded_minor, 'order_currency', o.currency,
      'link_id', o.link_id, 'program_id', NEW.program_id, 'affiliate_id', NEW.affiliate_id, 'slot', NEW.slot,
      'kind', NEW.kind, 'status', NEW.status, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
      'base_minor', NEW.base_minor, 'rate_bp', NEW.rate_bp, 'rule', NEW.rule, 'plan_version', NEW.plan_version,
      'explanation', NEW.explanation, 'created_at', NEW.created_at, 'status_changed_at', NEW.status_changed_at,
      'fx_rate', NEW.fx_rate, 'fx_source', NEW.fx_source, 'fx_effective_at', NEW.fx_effective_at),
    NEW.created_at
  FROM programs p JOIN orders o ON o.id = NEW.order_id WHERE p.id = NEW.program_id;
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
      'order_revenue_minor', o.revenue_minor - o.refunded_minor, 'order_currency', o.currency,
      'link_id', o.link_id, 'program_id', NEW.program_id, 'affiliate_id', NEW.affiliate_id, 'slot', NEW.slot,
      'kind', NEW.kind, 'status', NEW.status, 'amount_minor', NEW.amount_minor, 'currency', NEW.currency,
      'base_minor', NEW.base_minor, 'rate_bp', NEW.rate_bp, 'rule', NEW.rule, 'plan_version', NEW.plan_version,
      'explanation', NEW.explanation, 'created_at', NEW.created_at, 'status_changed_at', NEW.status_changed_at,
      'fx_rate', NEW.fx_rate, 'fx_source', NEW.fx_source, 'fx_effective_at', NEW.fx_effective_at),
    NEW.status_changed_at
  FROM programs p JOIN orders o ON o.id = NEW.order_id WHERE p.id = NEW.program_id;
END;

-- Payout runs, for the operators' endpoints. A run's lines never change after it is made, so the
-- snapshot keeps only the run's own row.
CREATE TRIGGER payouts_to_outbound_insert AFTER INSERT ON payouts
WHEN EXISTS (SELECT 1 FROM webhook_endpoints WHERE merchant_id IS NULL AND deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('payout.created', NULL, NULL, NEW.id, json_object('status', NEW.status, 'settled_at', NEW.settled_at), NEW.created_at);
END;
CREATE TRIGGER payouts_to_outbound_update AFTER UPDATE OF status ON payouts
WHEN OLD.status IS NOT NEW.status AND NEW.status IN ('paid', 'failed')
  AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE merchant_id IS NULL AND deleted_at IS NULL)
BEGIN
  INSERT INTO outbound_events (type, merchant_id, affiliate_id, resource_id, snapshot, created_at)
  VALUES ('payout.' || NEW.status, NULL, NULL, NEW.id, json_object('status', NEW.status, 'settled_at', NEW.settled_at),
    NEW.settled_at);
END;
