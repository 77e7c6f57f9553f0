-- Which ClickHouse this is. The SQL store keeps its export watermarks per target, so pointing
-- clickledger at a new, empty ClickHouse (or wiping this one) exports everything again.
CREATE TABLE IF NOT EXISTS target_v1
(
    id String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY tuple()
