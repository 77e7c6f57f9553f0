-- Backfills done (sql/clickhouse/backfills/): a table added next to existing data is filled once.
CREATE TABLE IF NOT EXISTS backfills_v1
(
    name String,
    at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY name
