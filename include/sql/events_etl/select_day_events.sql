-- The day's events as loaded (already one row per event_id), input of calculate_stats.
SELECT event_id, user_id, event_type, amount
FROM events
WHERE day = %(day)s
ORDER BY event_id
