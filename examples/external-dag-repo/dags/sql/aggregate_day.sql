-- The day's totals per category: a small aggregate computed from nothing but the date, so the
-- same day always gives the same rows (the stand-in for a source that answers reproducibly).
-- Day d has 20 + (day of month) orders; order n belongs to category (n mod 3) and is worth
-- ((n * day of year) mod 97) + 0.50. Included by both DAGs' write statements: one definition
-- of the computation, so the two DAGs differ only in how they write it.
-- The day arrives as the bind parameter day (the run's ds), never formatted into the text.
SELECT %(day)s::date                                                              AS day,
       'category_' || mod(n, 3)                                                   AS category,
       count(*)::integer                                                          AS orders,
       sum(mod(n * extract(doy FROM %(day)s::date)::integer, 97) + 0.50)::numeric(12, 2) AS amount
FROM generate_series(1, 20 + extract(day FROM %(day)s::date)::integer) AS n
GROUP BY mod(n, 3)
