-- Orders (conversions) as the SQL store last saw them. Status and refunds change, so each export
-- is a new version of the row (the outbox sequence) and reads use FINAL; nothing sums over it.
-- placed_at never changes after the first event, so it may sit in the key and the partition.
CREATE TABLE IF NOT EXISTS orders_v1
(
    order_id UInt64,
    version UInt64,
    external_id String,
    program_id UInt64,
    affiliate_id UInt64,
    link_id UInt64,
    click_id String,
    coupon_code String,
    attribution_method LowCardinality(String),
    placed_at DateTime64(3, 'UTC'),
    status LowCardinality(String),
    revenue_minor Int64,
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
ORDER BY (program_id, placed_at, order_id)
SETTINGS non_replicated_deduplication_window = 10000
