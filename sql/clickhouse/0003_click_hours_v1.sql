-- Clicks per UTC hour and report dimension (sub-ids excepted: they are read from clicks_v1).
-- Hours, not days, so a day in any whole-hour time zone is a sum of whole rows.
CREATE TABLE IF NOT EXISTS click_hours_v1
(
    hour DateTime('UTC'),
    program_id UInt64,
    affiliate_id UInt64,
    link_id UInt64,
    currency LowCardinality(String),
    country LowCardinality(String),
    device LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    clicks UInt64,
    unique_clicks UInt64,
    bot_clicks UInt64
)
ENGINE = SummingMergeTree((clicks, unique_clicks, bot_clicks))
PARTITION BY toYYYYMM(hour)
ORDER BY (program_id, hour, affiliate_id, link_id, country, device, browser, os, currency)
SETTINGS non_replicated_deduplication_window = 10000
