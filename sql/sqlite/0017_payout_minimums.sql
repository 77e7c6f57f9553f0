-- A payout run across currencies: one minimum per currency (€25.00 and ¥4000, not one number
-- read in both), and the currencies it left out with the reason, kept with the run.
ALTER TABLE payouts ADD COLUMN minimums TEXT; -- JSON {"EUR":"25.00"}: the minimum applied per currency paid
ALTER TABLE payouts ADD COLUMN skipped TEXT; -- JSON [{currency, reason, message}] known when the run was made

-- A run that ends up paying nobody (another run took its entries first) is deleted in the unit of
-- work that made it: its payout.created event (0015) goes with it, so no receiver hears of a run
-- that never existed.
CREATE TRIGGER payouts_outbound_withdrawn AFTER DELETE ON payouts
BEGIN
  DELETE FROM outbound_events WHERE type LIKE 'payout.%' AND resource_id = OLD.id;
END;
