-- Orders from the shop, their events, attribution receipts, coupons, postback tokens.

-- Which sources may attribute an order, in the order tried, and which suspicion checks hold a
-- commission for review. Both are per program; the checks are off until the merchant sets them.
ALTER TABLE programs ADD COLUMN attribution_order TEXT NOT NULL DEFAULT '["click","coupon"]';
ALTER TABLE programs ADD COLUMN fraud_checks TEXT NOT NULL DEFAULT '{}';

-- The paid-search click id (gclid, msclkid, fbclid, …) seen on the tracking URL, if any:
-- an affiliate buying search ads on the merchant's brand.
ALTER TABLE clicks ADD COLUMN paid_search_param TEXT;

-- One row per (merchant, shop order id): a second delivery, a new webhook id or another channel
-- can never make a second conversion (P4). Attribution columns are written once, when the
-- order is first seen; the state columns are recomputed from all events (P8).
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  program_id INTEGER NOT NULL REFERENCES programs (id),
  external_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  placed_at TEXT NOT NULL,
  -- attribution, set once
  attribution_method TEXT NOT NULL CHECK (attribution_method IN ('click', 'coupon', 'none')),
  attribution_reason TEXT NOT NULL,
  affiliate_id INTEGER REFERENCES affiliates (id),
  link_id INTEGER,
  click_id TEXT,
  coupon_code TEXT,
  held INTEGER NOT NULL DEFAULT 0,
  receipt TEXT NOT NULL, -- JSON attribution receipt
  -- state, derived from the events
  status TEXT NOT NULL CHECK (status IN ('created', 'paid', 'completed', 'refunded', 'cancelled')),
  paid_at TEXT,
  completed_at TEXT,
  refunded_at TEXT,
  cancelled_at TEXT,
  snapshot TEXT NOT NULL, -- JSON: the order as of the latest event
  snapshot_at TEXT NOT NULL,
  revenue_minor INTEGER NOT NULL, -- commissionable base before refunds: Σ quantity × unitPrice − discount
  refunded_minor INTEGER NOT NULL,
  customer_id TEXT,
  new_customer INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (merchant_id, external_id)
);
CREATE INDEX orders_program_placed ON orders (program_id, placed_at);
CREATE INDEX orders_affiliate_placed ON orders (affiliate_id, placed_at);

-- Every accepted delivery. The delivery id is unique per merchant (a replay changes nothing) and
-- the content hash per order (the same event re-sent under a new id changes nothing).
CREATE TABLE order_events (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  merchant_id INTEGER NOT NULL,
  delivery_id TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('webhook', 'postback')),
  type TEXT NOT NULL CHECK (type IN ('order.created', 'order.paid', 'order.completed', 'order.refunded', 'order.cancelled')),
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  payload TEXT NOT NULL, -- JSON: the order as this event carried it
  UNIQUE (merchant_id, delivery_id),
  UNIQUE (order_id, content_hash)
);
-- (order_id, content_hash) also serves every lookup of an order's events: no separate index.

CREATE TABLE coupons (
  id INTEGER PRIMARY KEY,
  program_id INTEGER NOT NULL REFERENCES programs (id),
  code TEXT NOT NULL, -- upper-cased, trimmed
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  created_at TEXT NOT NULL,
  UNIQUE (program_id, code)
);

-- Customer references an affiliate declared as their own at a merchant's shop: an order by
-- such a customer is a self-referral.
CREATE TABLE affiliate_customer_refs (
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  customer_ref TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (merchant_id, customer_ref, affiliate_id)
) WITHOUT ROWID;

-- Tokens for the server-to-server postback, stored as SHA-256 like API keys.
CREATE TABLE postback_tokens (
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
