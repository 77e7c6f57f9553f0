-- A payout run across currencies: one minimum per currency (€25.00 and ¥4000, not one number
-- read in both), and the currencies it left out with the reason, kept with the run.
ALTER TABLE payouts ADD COLUMN minimums TEXT; -- JSON {"EUR":"25.00"}: the minimum applied per currency paid
ALTER TABLE payouts ADD COLUMN skipped TEXT; -- JSON [{currency, reason, message}] known when the run was made
