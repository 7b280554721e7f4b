-- The stats of one day, as committed by calculate_stats: what send_stats reports.
SELECT day, user_id, event_count, total_amount
FROM daily_stats
WHERE day = %(day)s
ORDER BY user_id
