-- The day's totals, written so a rerun replaces them: a row already there for (day, category)
-- is updated, never duplicated. One statement, so one transaction: all of the day or nothing.
INSERT INTO daily_totals (day, category, orders, amount)
{% include "aggregate_day.sql" %}
ON CONFLICT (day, category) DO UPDATE
SET orders = EXCLUDED.orders,
    amount = EXCLUDED.amount;
