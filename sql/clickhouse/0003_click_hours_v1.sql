-- Clicks per UTC hour, program and affiliate: what the day, affiliate and program reports read.
-- Hours, not days, so a day in any whole-hour time zone is a sum of whole rows. Links, visitor
-- dimensions and sub-ids have many values per hour (a rollup by them is nearly as big as the
-- clicks); those reports read clicks_v1.
CREATE TABLE IF NOT EXISTS click_hours_v1
(
    hour DateTime('UTC'),
    program_id UInt64,
    affiliate_id UInt64,
    currency LowCardinality(String),
    clicks UInt64,
    unique_clicks UInt64,
    bot_clicks UInt64
)
ENGINE = SummingMergeTree((clicks, unique_clicks, bot_clicks))
PARTITION BY toYYYYMM(hour)
ORDER BY (program_id, hour, affiliate_id, currency)
SETTINGS non_replicated_deduplication_window = 10000
