-- The unique flag (P13) no longer reads or writes an index by visitor for each click. That index
-- put every first click of a visitor at a random place in a B-tree: one more WAL page per click,
-- which was most of what a link with many new visitors cost over one with a few regulars.

-- 1. The server decides from memory, filled at start with the last hour of unique clicks. It reads
-- them through this index, which grows at its end as clicks arrive in time order.
DROP INDEX clicks_unique_visitor;
CREATE INDEX clicks_unique_time ON clicks (clicked_at) WHERE is_unique = 1;

-- 2. Per (link, visitor), the time of the newest unique click that is not in a server's memory:
-- the pairs a server spills when its memory is full, and on Workers (where no memory outlives a
-- queue batch) every pair. Only its last hour ever matters, so only that is copied here.
CREATE TABLE unique_visitors (
  link_id INTEGER NOT NULL,
  visitor_hash TEXT NOT NULL,
  clicked_at TEXT NOT NULL,
  PRIMARY KEY (link_id, visitor_hash)
) WITHOUT ROWID;
INSERT INTO unique_visitors (link_id, visitor_hash, clicked_at)
SELECT link_id, visitor_hash, max(clicked_at) FROM clicks
WHERE is_unique = 1
  AND clicked_at > strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT max(clicked_at) FROM clicks WHERE is_unique = 1), '-1 hour')
GROUP BY link_id, visitor_hash;
