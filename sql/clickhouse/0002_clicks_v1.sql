-- Every click the tracker recorded, with every dimension it records. Clicks never change, so a
-- summing rollup over them is sound. A re-sent block is dropped by its insert_deduplication_token,
-- here and in the rollup alike, so raw reads and the rollup always agree and neither needs FINAL.
CREATE TABLE IF NOT EXISTS clicks_v1
(
    click_id String,
    clicked_at DateTime64(3, 'UTC'),
    program_id UInt64,
    affiliate_id UInt64,
    link_id UInt64,
    currency LowCardinality(String),
    is_bot UInt8,
    is_unique UInt8,
    country LowCardinality(String),
    device LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    referer_host String,
    paid_search LowCardinality(String),
    sub1 String,
    sub2 String,
    sub3 String,
    sub4 String,
    sub5 String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(clicked_at)
ORDER BY (program_id, clicked_at, click_id)
SETTINGS non_replicated_deduplication_window = 10000
