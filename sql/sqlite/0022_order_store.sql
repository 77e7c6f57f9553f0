-- Offline (O2O) sales: the physical store an order was placed in, as the merchant names it
-- (order.storeId on events, storeId on the postback). Null for online orders. Reports group by it
-- in ClickHouse (groupBy=store), so no index here.
ALTER TABLE orders ADD COLUMN store_id TEXT;
-- Sub-ids an order reports itself (the postback's sub1…sub5): an offline sale has no click to
-- take them from. Reports read the click's when the order has one.
ALTER TABLE orders ADD COLUMN sub1 TEXT;
ALTER TABLE orders ADD COLUMN sub2 TEXT;
ALTER TABLE orders ADD COLUMN sub3 TEXT;
ALTER TABLE orders ADD COLUMN sub4 TEXT;
ALTER TABLE orders ADD COLUMN sub5 TEXT;
