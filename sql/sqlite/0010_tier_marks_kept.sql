-- Tier marks that let an incremental run find the orders a change moved into another tier
-- without reading every order of the affiliate-month into the batch.
--
-- Each order of a tiered program keeps, as the batch last evaluated it, the month sales before
-- it (the tier it was paid at) and what it added to them (its kept sales). Stored in the order
-- the month runs (affiliate, program, placed_at, id), SQLite itself sums the month's running
-- sales over these narrow rows and hands back only the few orders whose tier may have moved.
--
-- The old marks had no kept sales and cannot be completed here; an affiliate-month without a
-- mark for every order is read whole, as before, and leaves with its marks complete.
DROP TABLE commission_tier_marks;

CREATE TABLE commission_tier_marks (
  affiliate_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  placed_at TEXT NOT NULL,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  month_sales_before_minor INTEGER NOT NULL,
  kept_minor INTEGER NOT NULL,
  PRIMARY KEY (affiliate_id, program_id, placed_at, order_id)
) WITHOUT ROWID;
