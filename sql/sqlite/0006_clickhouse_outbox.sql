-- ClickHouse gets its facts from here. Clicks never change, so they are exported by id; orders
-- and ledger entries change, so every insert or update of one leaves a row in this outbox and
-- the export sends the row's current state as the version `seq` (ReplacingMergeTree keeps the
-- newest). Triggers, so no write path can forget to tell ClickHouse.
CREATE TABLE clickhouse_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL CHECK (stream IN ('order', 'ledger')),
  row_id INTEGER NOT NULL
);

CREATE TRIGGER orders_to_clickhouse_insert AFTER INSERT ON orders
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('order', NEW.id);
END;
CREATE TRIGGER orders_to_clickhouse_update AFTER UPDATE ON orders
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('order', NEW.id);
END;
CREATE TRIGGER ledger_to_clickhouse_insert AFTER INSERT ON ledger_entries
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('ledger', NEW.id);
END;
CREATE TRIGGER ledger_to_clickhouse_update AFTER UPDATE OF status ON ledger_entries
BEGIN
  INSERT INTO clickhouse_outbox (stream, row_id) VALUES ('ledger', NEW.id);
END;

-- What an existing store holds goes out with the first export.
INSERT INTO clickhouse_outbox (stream, row_id) SELECT 'order', id FROM orders ORDER BY id;
INSERT INTO clickhouse_outbox (stream, row_id) SELECT 'ledger', id FROM ledger_entries ORDER BY id;

-- How far each stream has reached one ClickHouse target. A block is written down (pending_*)
-- before it is sent and cleared once ClickHouse has it; a crash in between re-sends exactly that
-- block under the same deduplication token, so ClickHouse keeps it once (P11).
CREATE TABLE clickhouse_exports (
  target TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('clicks', 'outbox')),
  exported_through INTEGER NOT NULL DEFAULT 0,
  pending_from INTEGER,
  pending_through INTEGER,
  PRIMARY KEY (target, stream)
) WITHOUT ROWID;
