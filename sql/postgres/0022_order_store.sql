-- Twin of sql/sqlite/0022_order_store.sql: the physical store of an offline (O2O) sale.
ALTER TABLE orders ADD COLUMN store_id TEXT COLLATE "C";
