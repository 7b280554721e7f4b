-- See daily_totals_upsert/create_table.sql for the lock.
SELECT pg_advisory_xact_lock(hashtext('daily_totals_appended.create_table'));

-- The same columns as daily_totals but no primary key, as a hasty first version has it: with
-- a key, the second run would fail loudly on a duplicate; without one it appends silently,
-- which is the bug the harness has to catch.
CREATE TABLE IF NOT EXISTS daily_totals_appended (
    day      date           NOT NULL,
    category text           NOT NULL,
    orders   integer        NOT NULL CHECK (orders >= 0),
    amount   numeric(12, 2) NOT NULL
);
