-- Every new order queues an outbox row, and with AUTOINCREMENT each of those also read and
-- rewrote the table's sqlite_sequence entry (3–6 µs of the ~25 µs an order's INSERT costs in
-- SQLite). A plain INTEGER PRIMARY KEY hands out max(seq) + 1 instead, which goes back below
-- what the ClickHouse targets have taken only if the table is emptied: pruning therefore keeps
-- the newest row (pruneOutbox in src/reports/clickhouse-export.ts), and an outbox that is empty
-- now keeps its place with one row at the sequence the targets have reached. That row's
-- row_id 0 is no order, and no target is behind it, so it is never sent.
DROP TRIGGER orders_to_clickhouse_insert;
DROP TRIGGER orders_to_clickhouse_update;
DROP TRIGGER ledger_to_clickhouse_insert;
DROP TRIGGER ledger_to_clickhouse_update;

CREATE TABLE clickhouse_outbox_v2 (
  seq INTEGER PRIMARY KEY,
  stream TEXT NOT NULL CHECK (stream IN ('order', 'ledger')),
  row_id INTEGER NOT NULL
);
INSERT INTO clickhouse_outbox_v2 (seq, stream, row_id) SELECT seq, stream, row_id FROM clickhouse_outbox ORDER BY seq;
INSERT INTO clickhouse_outbox_v2 (seq, stream, row_id)
  SELECT (SELECT max(exported_through) FROM clickhouse_exports WHERE stream = 'outbox'), 'order', 0
  WHERE NOT EXISTS (SELECT 1 FROM clickhouse_outbox)
    AND (SELECT max(exported_through) FROM clickhouse_exports WHERE stream = 'outbox') > 0;
DROP TABLE clickhouse_outbox;
ALTER TABLE clickhouse_outbox_v2 RENAME TO clickhouse_outbox;

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

-- No schema change, a convention of the SQLite intake (src/store/sqlite/sqlite-order-intake.ts,
-- PAYLOAD_IS_SNAPSHOT): an order's first event whose order is exactly the order's snapshot stores
-- '' as its payload instead of a second copy of the same JSON, and the intake copies the snapshot
-- into it before a later event moves the snapshot on. Readers of order_events.payload outside
-- the intake must read '' as orders.snapshot.
