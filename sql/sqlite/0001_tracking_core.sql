-- Tracking core: accounts and keys, programs, affiliates' membership, links, clicks.
-- Times are ISO 8601 UTC text with milliseconds ("2026-11-25T10:00:00.000Z"): sortable as text.

CREATE TABLE merchants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE affiliates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  parent_id INTEGER REFERENCES affiliates (id),
  created_at TEXT NOT NULL
);

-- API keys are stored only as SHA-256 hashes of high-entropy random keys (P22); the prefix
-- lets a person recognise a key in a list without it being usable.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'merchant', 'affiliate', 'finance')),
  merchant_id INTEGER REFERENCES merchants (id),
  affiliate_id INTEGER REFERENCES affiliates (id),
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  CHECK ((role = 'merchant') = (merchant_id IS NOT NULL)),
  CHECK ((role = 'affiliate') = (affiliate_id IS NOT NULL))
);

-- Webhook secrets must be readable to verify HMACs, so they are kept as issued. Several may be
-- active at once while a merchant rotates (Standard Webhooks).
CREATE TABLE webhook_secrets (
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX webhook_secrets_merchant ON webhook_secrets (merchant_id);

CREATE TABLE programs (
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL REFERENCES merchants (id),
  name TEXT NOT NULL,
  landing_url TEXT NOT NULL,
  allowed_domains TEXT NOT NULL, -- JSON array of URL hosts
  currency TEXT NOT NULL,
  cookie_days INTEGER NOT NULL CHECK (cookie_days BETWEEN 1 AND 365),
  lock_days INTEGER NOT NULL CHECK (lock_days BETWEEN 0 AND 365),
  plan TEXT NOT NULL, -- JSON, validated by the API schema
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX programs_merchant ON programs (merchant_id);

CREATE TABLE program_affiliates (
  program_id INTEGER NOT NULL REFERENCES programs (id),
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  status TEXT NOT NULL CHECK (status IN ('approved', 'suspended')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (program_id, affiliate_id)
) WITHOUT ROWID;
CREATE INDEX program_affiliates_affiliate ON program_affiliates (affiliate_id);

CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  program_id INTEGER NOT NULL REFERENCES programs (id),
  affiliate_id INTEGER NOT NULL REFERENCES affiliates (id),
  url TEXT, -- deep link; NULL means the program's landing URL
  sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  created_at TEXT NOT NULL
);
CREATE INDEX links_affiliate ON links (affiliate_id, id);

-- One row per redirect, committed before the 302 leaves (P1). The row id doubles as the outbox
-- position for copying clicks to ClickHouse. No raw IP is kept: ip_hash and visitor_hash are
-- HMACs under a server secret.
CREATE TABLE clicks (
  id INTEGER PRIMARY KEY,
  click_id TEXT NOT NULL UNIQUE,
  link_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  affiliate_id INTEGER NOT NULL,
  clicked_at TEXT NOT NULL,
  ip_hash TEXT NOT NULL,
  visitor_hash TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  browser TEXT NOT NULL,
  os TEXT NOT NULL,
  device TEXT NOT NULL,
  is_bot INTEGER NOT NULL,
  is_unique INTEGER NOT NULL,
  country TEXT NOT NULL,
  referer_host TEXT NOT NULL,
  sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT
);
CREATE INDEX clicks_visitor ON clicks (link_id, visitor_hash, clicked_at);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
