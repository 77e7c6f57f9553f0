-- Shop connectors (Shopify, WooCommerce) and the merchant's SKU → category catalogue.

-- The secret each platform signs its webhooks with, per program: Shopify generates its own
-- (the app's client secret, or the store's webhook signing key), WooCommerce takes one typed by
-- the merchant. A replaced secret keeps verifying until expires_at (rotation without loss).
CREATE TABLE connector_secrets (
  id INTEGER PRIMARY KEY,
  program_id INTEGER NOT NULL REFERENCES programs (id),
  platform TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce')),
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX connector_secrets_program ON connector_secrets (program_id, platform);

-- Optional WooCommerce REST API credentials, to fetch a refund's line detail instead of
-- reducing the base in proportion to the refunded amount.
CREATE TABLE connector_rest_credentials (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  platform TEXT NOT NULL CHECK (platform IN ('woocommerce')),
  base_url TEXT NOT NULL,
  consumer_key TEXT NOT NULL,
  consumer_secret TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (program_id, platform)
) WITHOUT ROWID;

-- What a connector has learnt about one shop order, so that pieces arriving in any order (a
-- refund before its order, a deletion, an older snapshot after a newer one) converge: the latest
-- order document (already mapped, no personal data beyond the customer id), and a deletion mark.
CREATE TABLE connector_orders (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  platform TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce')),
  external_id TEXT NOT NULL,
  document TEXT, -- JSON: the mapped order, NULL until the order itself has arrived
  document_at TEXT, -- the shop's own modification time of that document
  deleted_at TEXT,
  receipt TEXT, -- JSON: the connector receipt of the last delivery that reached the order
  PRIMARY KEY (program_id, platform, external_id)
) WITHOUT ROWID;

-- Refunds the shop reported separately from the order (Shopify refunds/create, WooCommerce REST
-- refund detail), one row each: concurrent deliveries can only add rows, never lose one.
CREATE TABLE connector_refunds (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  platform TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce')),
  refund_id TEXT NOT NULL,
  external_id TEXT NOT NULL, -- the shop's order id
  refund TEXT NOT NULL, -- JSON: { createdAt, lines: [{ lineId, quantity }] }
  created_at TEXT NOT NULL,
  PRIMARY KEY (program_id, platform, refund_id)
) WITHOUT ROWID;
CREATE INDEX connector_refunds_order ON connector_refunds (program_id, platform, external_id);

-- The merchant's catalogue: a product's category (order lines carry only the SKU). Replaced
-- whole by PUT /v1/programs/:id/catalog; read by every intake path.
CREATE TABLE catalog_items (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  sku TEXT NOT NULL,
  category TEXT NOT NULL,
  PRIMARY KEY (program_id, sku)
) WITHOUT ROWID;
