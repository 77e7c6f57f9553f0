-- Every index on orders is written by each new order, and the intake of signed order events is
-- bound by that work. orders_affiliate_placed (affiliate_id, placed_at) is served by
-- orders_month_sales, which starts with affiliate_id and carries placed_at: the only reads that
-- used it (an affiliate's order list, with or without a placed_at range) search
-- orders_month_sales by affiliate_id instead and filter placed_at inside that index, as
-- EXPLAIN QUERY PLAN shows; everything else (batch, simulation, reconciliation, export, payouts)
-- never used it.
DROP INDEX orders_affiliate_placed;
