-- Safe to run any number of times, also by several runs at once (a backfill): concurrent
-- CREATE TABLE IF NOT EXISTS of one table can still fail on Postgres's catalog unique index,
-- so the advisory lock serialises them. It is released at commit.
SELECT pg_advisory_xact_lock(hashtext('daily_totals.create_table'));

-- One row per (day, category). No "loaded_at DEFAULT now()" column: a rerun must produce an
-- identical table, and the primary key is what the upsert resolves conflicts on.
CREATE TABLE IF NOT EXISTS daily_totals (
    day      date           NOT NULL,
    category text           NOT NULL,
    orders   integer        NOT NULL CHECK (orders >= 0),
    amount   numeric(12, 2) NOT NULL,
    PRIMARY KEY (day, category)
);
