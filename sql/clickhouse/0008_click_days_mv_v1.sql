-- Feeds click_days_v1 from each block inserted into clicks_v1, like click_hours_mv_v1; a re-sent
-- block is dropped here too (deduplicate_blocks_in_dependent_materialized_views).
CREATE MATERIALIZED VIEW IF NOT EXISTS click_days_mv_v1 TO click_days_v1 AS
SELECT
    toDate(clicked_at, 'UTC') AS day,
    program_id,
    affiliate_id,
    currency,
    countIf(is_bot = 0) AS clicks,
    countIf(is_bot = 0 AND is_unique = 1) AS unique_clicks,
    countIf(is_bot = 1) AS bot_clicks
FROM clicks_v1
GROUP BY day, program_id, affiliate_id, currency
