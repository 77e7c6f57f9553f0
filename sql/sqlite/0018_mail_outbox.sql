-- Outbound mail (docs/operations.md, "Mail"). A message row is written in the same transaction
-- (SQLite) or batch() (D1) as what caused it, already rendered (subject, text and HTML), so a
-- rollback sends nothing and a committed cause cannot lose its mail. A sender outside every
-- request claims due rows, sends them and marks them. next_attempt_at is also the claim: the
-- sender moves it past its lease before sending, so a sender that dies mid-send leaves a row
-- that is tried again once the lease ends (at-least-once; the Message-ID stays the same).
CREATE TABLE mail_outbox (
  id INTEGER PRIMARY KEY,
  -- Which template made it (signup_verify, signup_known, …): for the operator and the tests.
  template TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  -- Emptied once sent: a verification link is a credential and should not outlive its delivery.
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
