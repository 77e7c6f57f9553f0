-- Commission ledger entries, each carrying its order's date and dimensions so reports group them
-- like clicks and orders. Entries are append-only in the SQL store but their status moves
-- (pending → approved → paid), so each export is a new version and reads use FINAL.
CREATE TABLE IF NOT EXISTS ledger_entries_v1
(
    entry_id String,
    version UInt64,
    order_id UInt64,
    program_id UInt64,
    affiliate_id UInt64,
    link_id UInt64,
    placed_at DateTime64(3, 'UTC'),
    created_at DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    status LowCardinality(String),
    amount_minor Int64,
    currency LowCardinality(String),
    country LowCardinality(String),
    device LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    sub1 String,
    sub2 String,
    sub3 String,
    sub4 String,
    sub5 String
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(placed_at)
ORDER BY (program_id, placed_at, entry_id)
SETTINGS non_replicated_deduplication_window = 10000
