-- Offline (O2O) sales: the store an order was placed in (groupBy=store). Added in place, not as
-- a new table version: a column with an empty default changes no figure a report already reads,
-- and IF NOT EXISTS keeps the file safe to apply at every start. Rows exported before it read ''.
ALTER TABLE orders_v1 ADD COLUMN IF NOT EXISTS store_id String
