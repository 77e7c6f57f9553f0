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

-- Orders by when they were completed, per program: each run looks at the ones whose lock period
-- ended since the last run's asOf.
CREATE INDEX orders_completed ON orders (program_id, completed_at) WHERE completed_at IS NOT NULL;
