-- Feeds click_hours_v1 from each block inserted into clicks_v1. Human clicks exclude bots;
-- unique clicks are human clicks the tracker saw as the visitor's first on the link (P13).
CREATE MATERIALIZED VIEW IF NOT EXISTS click_hours_mv_v1 TO click_hours_v1 AS
SELECT
    toStartOfHour(clicked_at) AS hour,
    program_id,
    affiliate_id,
    currency,
    countIf(is_bot = 0) AS clicks,
    countIf(is_bot = 0 AND is_unique = 1) AS unique_clicks,
    countIf(is_bot = 1) AS bot_clicks
FROM clicks_v1
GROUP BY hour, program_id, affiliate_id, currency
