-- Offline (O2O) sales: the physical store an order was placed in, as the merchant names it
-- (order.storeId on events, storeId on the postback). Null for online orders. Reports group by it
-- in ClickHouse (groupBy=store), so no index here.
ALTER TABLE orders ADD COLUMN store_id TEXT;
