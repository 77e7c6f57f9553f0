-- Public affiliate sign-up (docs/affiliates.md, "Signing up"). A request is kept until its
-- address is verified: only the SHA-256 of the emailed token is stored, and the affiliate is
-- created, with its key, in the unit of work that marks the request used.
CREATE TABLE signup_requests (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  -- Trimmed and lower-cased.
  email TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  affiliate_id INTEGER REFERENCES affiliates (id)
);
CREATE INDEX signup_requests_by_email ON signup_requests (email);
CREATE INDEX affiliates_by_email ON affiliates (lower(email)) WHERE email IS NOT NULL;

-- Two confirmations of one link, or of two links for one address, racing each other: the second
-- unit of work aborts here, and the affiliate and key it inserted before this statement go with
-- it (a transaction on SQLite, one batch() on D1). The messages are matched by the use-case.
CREATE TRIGGER signup_requests_used_once BEFORE UPDATE OF used_at ON signup_requests
WHEN OLD.used_at IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'signup link already used');
END;
CREATE TRIGGER signup_requests_one_account_per_address BEFORE UPDATE OF used_at ON signup_requests
WHEN EXISTS (SELECT 1 FROM affiliates WHERE lower(email) = NEW.email AND id IS NOT NEW.affiliate_id)
BEGIN
  SELECT RAISE(ABORT, 'signup address already has an account');
END;
