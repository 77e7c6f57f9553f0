-- Twin of sql/sqlite/0022_order_store.sql: the physical store of an offline (O2O) sale and the
-- sub-ids an order reports itself.
ALTER TABLE orders ADD COLUMN store_id TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN sub1 TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN sub2 TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN sub3 TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN sub4 TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN sub5 TEXT COLLATE "C";
