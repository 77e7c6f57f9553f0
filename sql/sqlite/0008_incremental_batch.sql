-- What lets a commission batch after a few changes look at a few orders, not every order of
-- every touched affiliate-month.

-- The month sales before each order of a tiered program, as the batch last evaluated it with.
-- An order that did not change needs a new look only if the sales before it now reach another
-- tier: the tier is the only way they enter its commission.
CREATE TABLE commission_tier_marks (
  order_id INTEGER PRIMARY KEY REFERENCES orders (id),
  month_sales_before_minor INTEGER NOT NULL
);

-- Orders changed since the last run, found without a scan.
CREATE INDEX orders_updated ON orders (updated_at);

-- An affiliate-month's orders with what their sales come from, read without touching the order
-- rows (which carry the snapshot and receipt): the running month sales of tiered programs, and
-- the size of each affiliate-month for chunking.
CREATE INDEX orders_month_sales ON orders (affiliate_id, program_id, placed_at, status, review, currency, revenue_minor, refunded_minor, fx_rate);

-- Entries still waiting for their order's lock period: each run checks whether it has ended.
CREATE INDEX ledger_entries_pending ON ledger_entries (order_id) WHERE status = 'pending';
