-- The highest order or ledger version report_days_v1 has taken in. Written after the days it
-- covers, so a crash in between leaves those days read from orders_v1 and ledger_entries_v1.
CREATE TABLE IF NOT EXISTS report_days_through_v1
(
    through UInt64,
    at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(through)
ORDER BY tuple()
