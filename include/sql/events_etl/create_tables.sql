-- Tables of the events_etl DAG. Safe to run any number of times, including by several
-- DAG runs at once (backfills): the advisory lock serialises them, because concurrent
-- CREATE TABLE IF NOT EXISTS of the same table can still fail on Postgres's catalog
-- unique index. The lock is released at commit.
SELECT pg_advisory_xact_lock(hashtext('airkit.events_etl.create_tables'));

-- One row per event; a later version of the same event_id replaces the row (upsert).
-- No "loaded_at DEFAULT now()" column on purpose: a rerun must produce an identical table.
CREATE TABLE IF NOT EXISTS events (
    event_id    text           PRIMARY KEY,
    user_id     text           NOT NULL,
    event_type  text           NOT NULL,
    occurred_at timestamptz    NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    day         date           NOT NULL,
    version     integer        NOT NULL CHECK (version >= 1),
    updated_at  timestamptz    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_day_idx ON events (day);

-- Per (day, user) aggregates; a day is only ever replaced whole (partition overwrite).
CREATE TABLE IF NOT EXISTS daily_stats (
    day          date           NOT NULL,
    user_id      text           NOT NULL,
    event_count  integer        NOT NULL CHECK (event_count >= 0),
    total_amount numeric(14, 2) NOT NULL,
    PRIMARY KEY (day, user_id)
);
