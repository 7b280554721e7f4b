-- The anti-pattern on purpose: a plain INSERT adds the day's rows again on every rerun.
INSERT INTO daily_totals_appended (day, category, orders, amount)
{% include "aggregate_day.sql" %};
