-- The audit log (docs/operations.md, "Audit log"): who changed what, when and from where, for
-- every mutating API call and dashboard action. Append-only in the store, not by convention:
-- UPDATE and DELETE are refused by triggers, whoever runs them.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor_key_id INTEGER,
  actor_role TEXT NOT NULL,
  -- The tenant the row belongs to: the merchant whose object changed (or the acting merchant),
  -- and the acting affiliate; NULL for an operator's change to no tenant's object.
  merchant_id INTEGER,
  affiliate_id INTEGER,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT,
  -- JSON {before?, after?}: what changed, secrets replaced by "[redacted]".
  summary TEXT NOT NULL,
  client_address TEXT NOT NULL
);
CREATE INDEX audit_log_by_merchant ON audit_log (merchant_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_key_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
