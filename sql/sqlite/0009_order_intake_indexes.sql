-- Every index on orders is written by each new order it covers, and the intake of signed order
-- events is bound by that work (with the COMMIT that writes each touched page to the WAL).

-- orders_affiliate_placed (affiliate_id, placed_at) is served by orders_month_sales, which starts
-- with affiliate_id and carries placed_at: the only read that used it (an affiliate's order
-- list, with or without a placed_at range) searches orders_month_sales by affiliate_id instead
-- and filters placed_at inside that index, as EXPLAIN QUERY PLAN shows. Nothing else (batch,
-- simulation, reconciliation, export, payouts) used it.
DROP INDEX orders_affiliate_placed;

-- The batch's two indexes only ever serve attributed orders: its reads say `affiliate_id IS NOT
-- NULL` or `affiliate_id = …`, which SQLite takes as implying the partial index's condition.
-- Orders without an affiliate (most of a shop's orders) no longer enter them.
DROP INDEX orders_updated;
CREATE INDEX orders_updated ON orders (updated_at) WHERE affiliate_id IS NOT NULL;
DROP INDEX orders_month_sales;
CREATE INDEX orders_month_sales ON orders (affiliate_id, program_id, placed_at, status, review, currency, revenue_minor, refunded_minor, fx_rate)
  WHERE affiliate_id IS NOT NULL;
