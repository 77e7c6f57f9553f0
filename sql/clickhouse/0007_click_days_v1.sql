-- Clicks per UTC day, program and affiliate: what UTC reports by day, affiliate and program read
-- (a month is 30 rows per affiliate instead of 720 hours). Other zones read click_hours_v1. Clicks
-- never change, so summing is sound. A ClickHouse that had clicks before this table existed gets
-- their days from the hourly rollup once (sql/clickhouse/backfills/click_days_v1.sql).
CREATE TABLE IF NOT EXISTS click_days_v1
(
    day Date,
    program_id UInt64,
    affiliate_id UInt64,
    currency LowCardinality(String),
    clicks UInt64,
    unique_clicks UInt64,
    bot_clicks UInt64
)
ENGINE = SummingMergeTree((clicks, unique_clicks, bot_clicks))
PARTITION BY toYYYYMM(day)
ORDER BY (program_id, day, affiliate_id, currency)
SETTINGS non_replicated_deduplication_window = 10000
