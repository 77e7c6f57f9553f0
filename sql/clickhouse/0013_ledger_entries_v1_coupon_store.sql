-- Commission per coupon and per store (groupBy=coupon, groupBy=store): each entry carries its
-- order's coupon and store, as it carries the order's other dimensions. Added in place like
-- orders_v1.store_id (0012); entries exported before it read '' until their next version.
ALTER TABLE ledger_entries_v1 ADD COLUMN IF NOT EXISTS coupon_code String, ADD COLUMN IF NOT EXISTS store_id String
