-- Orders and commission per UTC day, program, affiliate and currency: what UTC reports by day,
-- affiliate and program read instead of folding every order and ledger entry with FINAL.
-- Not a sum over versions: after each export the days that received new versions are recomputed
-- whole from orders_v1 FINAL and ledger_entries_v1 FINAL (src/reports/report-days.ts), and the
-- result is a new version of that day's rows. A group the day no longer has gets a row with
-- source_rows = 0. Reads use FINAL and source_rows > 0; days with versions above
-- report_days_through_v1 are read from the versioned tables instead, so a report never lags.
CREATE TABLE IF NOT EXISTS report_days_v1
(
    day Date,
    program_id UInt64,
    affiliate_id UInt64,
    currency LowCardinality(String),
    version UInt64,
    source_rows UInt64,
    orders Int64,
    revenue_minor Int64,
    commission_minor Int64,
    estimated_minor Int64,
    settled_minor Int64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (program_id, day, affiliate_id, currency)
