-- click_days_v1 from the hourly rollup, which holds every click exported so far. Run once on an
-- empty click_days_v1 after its materialized view exists, with no export running (the schema is
-- applied at start, before the first batch), so no block is counted twice.
INSERT INTO click_days_v1 (day, program_id, affiliate_id, currency, clicks, unique_clicks, bot_clicks)
SELECT toDate(hour, 'UTC') AS day, program_id, affiliate_id, currency, sum(clicks), sum(unique_clicks), sum(bot_clicks)
FROM click_hours_v1
GROUP BY day, program_id, affiliate_id, currency
